// `npm run fuzz -- --runs N [--seed S]`: the fuzz test (fuzz.test.ts) with N API requests (and N/5, at least
// 2,000, at the kubelet port and the CSI socket), from seed S (default: a new one each time, printed).
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string" }, seed: { type: "string" } } });
const runs = values.runs ?? "10000";
if (!/^\d+$/.test(runs)) throw new Error(`--runs ${runs}: want a whole number of requests`);
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
if (!/^-?\d+$/.test(seed)) throw new Error(`--seed ${seed}: want an integer`);
process.env.STOWAGE_FUZZ_RUNS = runs;
process.env.STOWAGE_FUZZ_SEED = seed;
console.log(`fuzzing with --runs ${runs} --seed ${seed}`);
await import("./fuzz.test.js");
