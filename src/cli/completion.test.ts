// `stowage completion bash|zsh|fish` as a shell uses it: the script is loaded into the real shell and asked what
// completes a half-typed command line (bash through its completion function, fish through `complete -C`).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", main, ...args]).then(
    (out) => ({ code: 0, ...out }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
const installed = (shell: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`]);
    return true;
  } catch {
    return false;
  }
};

let dir = "";
const scripts: Record<string, string> = {};
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "stowage-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const printed = await run("completion", shell);
    assert.equal(printed.code, 0, printed.stderr);
    scripts[shell] = join(dir, `stowage.${shell}`);
    await writeFile(scripts[shell], printed.stdout);
  }
  await mkdir(join(dir, "data-dir-here"));
});
test.after(() => rm(dir, { recursive: true, force: true }));

/** What bash offers for the command line `words` (the last one being typed), one word per line. */
async function bash(...words: string[]): Promise<string[]> {
  const script = `source ${scripts.bash}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stowage; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)("bash", ["-c", script, "bash", ...words], { cwd: dir });
  return stdout.split("\n").filter(Boolean).sort();
}

const bashCases: Array<{ words: string[]; want: string[] }> = [
  { words: ["stowage", "do"], want: ["down"] },
  { words: ["stowage", "comp"], want: ["completion"] },
  { words: ["stowage", "completion", ""], want: ["bash", "fish", "zsh"] },
  { words: ["stowage", "up", "--run"], want: ["--runtime"] },
  { words: ["stowage", "up", "--runtime", ""], want: ["none", "process"] },
  { words: ["stowage", "down", "-o", ""], want: ["json", "text"] },
  { words: ["stowage", "down", "--p"], want: ["--purge"] },
  { words: ["stowage", "csi", ""], want: ["block", "hostpath"] },
  { words: ["stowage", "down", "--data-dir", "data-"], want: ["data-dir-here"] },
  { words: ["stowage", "up", "--listen", ""], want: [] },
];
for (const c of bashCases) {
  test(`bash completes "${c.words.slice(1).join(" ")}" with ${c.want.join(", ") || "nothing"}`, async () => {
    assert.deepEqual(await bash(...c.words), c.want);
  });
}

test(
  "fish completes commands, flags and their values",
  { skip: !installed("fish") && "fish is not installed" },
  async () => {
    const complete = async (line: string) => {
      const { stdout } = await promisify(execFile)("fish", ["-c", `source ${scripts.fish}; complete -C '${line}'`]);
      return stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0])
        .sort();
    };
    assert.deepEqual(await complete("stowage dow"), ["down"]);
    assert.deepEqual(await complete("stowage up --runtime "), ["none", "process"]);
    assert.deepEqual(await complete("stowage down --pu"), ["--purge"]);
  },
);

test(
  "zsh loads the script as the completion of stowage",
  { skip: !installed("zsh") && "zsh is not installed" },
  async () => {
    const { stdout } = await promisify(execFile)("zsh", [
      "-c",
      `autoload -U compinit; compinit -u -d ${join(dir, "zcompdump")}; source ${scripts.zsh}; print $_comps[stowage]`,
    ]);
    assert.equal(stdout.trim(), "_stowage");
    await promisify(execFile)("zsh", ["-n", scripts.zsh]); // rejects on a syntax error
  },
);

test("stowage completion refuses a shell it has no script for, naming the ones it has", async () => {
  const result = await run("completion", "tcsh");
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /Allowed choices are bash, zsh, fish/);
});
