// `node --import tsx swapper.ts <a> <b>`: exchanges two paths with renameat2(RENAME_EXCHANGE) in a loop until
// killed, as a container racing the driver would: at every instant each name exists, one a directory and one a
// symlink, so the driver never finds a gap, only a swap.
import { createRequire } from "node:module";

interface Koffi {
  load(path: string): { func(definition: string): unknown };
}
type Renameat2 = (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;

const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
const koffi = createRequire(import.meta.url)("koffi") as Koffi;
const renameat2 = koffi
  .load("libc.so.6")
  .func(
    "int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)",
  ) as Renameat2;
const [a, b] = process.argv.slice(2);
if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) !== 0) throw new Error(`cannot exchange ${a} and ${b}`);
process.stdout.write("swapping\n");
for (;;) renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
