import type { Command } from "commander";
import { readFileSync } from "node:fs";

/** The package version, read once from package.json (two levels up from both src/cli and dist/cli). */
export const stowageVersion: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("print stowage's version")
    .action(() => console.log(stowageVersion));
}
