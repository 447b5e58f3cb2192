// `stowage completion bash|zsh|fish`: a completion script for the shell, made from the program's own commands,
// flags and their help, so it can never list a flag the program no longer has. Values are completed where the
// program knows them: choices, directories for <dir> flags, files for <file> flags and --kubeconfig.
import { Argument, type Command, type Option } from "commander";
import { runtimeNames } from "../node/runtime/runtime.js";
import { bashScript, fishScript, zshScript, type CommandSpec, type ValueHint } from "./completionscripts.js";

// Values the parsers know but commander does not (they are checked by our own parsers, not .choices()).
const flagWords: Record<string, string[]> = {
  "--runtime": [...runtimeNames],
};
const argumentWords: Record<string, string[]> = { driver: ["hostpath", "block"] };

/** The first sentence of a help text: one line in a completion menu. */
const firstLine = (text: string) => text.split(/(?<=\.)\s|\n/)[0].replace(/\.$/, "");

function valueHint(option: Option): ValueHint | undefined {
  if (!option.required && !option.optional) return undefined;
  const words = option.argChoices ?? flagWords[option.long ?? ""];
  if (words) return { words };
  const placeholder = /<([^>]+)>/.exec(option.flags)?.[1] ?? "";
  if (placeholder.endsWith("dir") || (option.long ?? "").endsWith("-dir")) return "dir";
  if (placeholder.endsWith("file") || (option.long ?? "").endsWith("-file") || option.long === "--kubeconfig") {
    return "file";
  }
  return "none";
}

export function describeCommands(program: Command): CommandSpec[] {
  const help = { long: "--help", short: "-h", description: "display help for command" };
  return program.commands
    .filter((command) => !(command as Command & { _hidden?: boolean })._hidden)
    .map((command) => {
      const first = command.registeredArguments[0] as Argument | undefined;
      return {
        name: command.name(),
        description: firstLine(command.description()),
        flags: [
          ...command.options
            .filter((option) => !option.hidden)
            .map((option) => ({
              long: option.long,
              short: option.short,
              description: firstLine(option.description),
              value: valueHint(option),
            })),
          help,
        ],
        argumentWords: first ? (first.argChoices ?? argumentWords[first.name()] ?? []) : [],
      };
    });
}

const shells = ["bash", "zsh", "fish"] as const;
type Shell = (typeof shells)[number];

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description(
      "print a completion script for your shell: `source <(stowage completion bash)` (or zsh) in your shell's rc " +
        "file; for fish, `stowage completion fish | source`",
    )
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(shells))
    .action((shell: Shell) => {
      const commands = describeCommands(program);
      const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](commands);
      process.stdout.write(script);
    });
}
