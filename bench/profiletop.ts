// Summarises a .cpuprofile (node --cpu-prof) as its top frames by self time, for the notes beside a goal not met.
//   npx tsx bench/profiletop.ts <file.cpuprofile> [--top 15]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "15" } },
});
const file = positionals[0];
if (!file) throw new Error("usage: profiletop.ts <file.cpuprofile> [--top N]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMs = new Map<string, number>();
let totalMs = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame;
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  totalMs += ms;
  const where = frame?.url
    ? `${frame.url.replace(/^.*\/(src|node_modules|bench)\//, "$1/")}:${frame.lineNumber + 1}`
    : "";
  const key = `${frame?.functionName || "(anonymous)"} ${where}`.trim();
  selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
});
const top = [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
console.log(`${file}: ${(totalMs / 1000).toFixed(2)} s sampled`);
for (const [key, ms] of top)
  console.log(`${((100 * ms) / totalMs).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${key}`);
