// The three completion scripts `stowage completion` prints, each in its shell's own idiom: bash's complete -F with
// compgen, zsh's _describe and _arguments, fish's complete -c. Made from describeCommands (completion.ts).
/** What a flag's value is completed with: a list of words, directories, files, or nothing (free text). */
export type ValueHint = { words: string[] } | "dir" | "file" | "none";

export interface FlagSpec {
  long?: string;
  short?: string;
  /** The first line of its help, for the shells that show one. */
  description: string;
  /** undefined: the flag takes no value. */
  value?: ValueHint;
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  /** Words for its first argument (`stowage csi hostpath`), when it takes one of a known set. */
  argumentWords: string[];
}

const flagNames = (flag: FlagSpec) => [flag.long, flag.short].filter((n): n is string => n !== undefined);

/** A bash identifier-safe case pattern for a word list: a|b|c. */
const alternatives = (words: string[]) => words.join("|");

export function bashScript(commands: CommandSpec[]): string {
  const names = commands.map((c) => c.name).join(" ");
  const cases = commands.map((command) => {
    const valued = command.flags.filter((f) => f.value !== undefined);
    const byHint = (test: (f: FlagSpec) => boolean) => valued.filter(test).flatMap(flagNames);
    const lines: string[] = [];
    const dirs = byHint((f) => f.value === "dir");
    const files = byHint((f) => f.value === "file");
    const free = byHint((f) => f.value === "none");
    if (dirs.length)
      lines.push(
        `        ${alternatives(dirs)}) compopt -o filenames; _stowage_reply "$(compgen -d -- "$cur")"; return ;;`,
      );
    if (files.length)
      lines.push(
        `        ${alternatives(files)}) compopt -o filenames; _stowage_reply "$(compgen -f -- "$cur")"; return ;;`,
      );
    for (const flag of valued) {
      if (typeof flag.value === "object") {
        lines.push(
          `        ${alternatives(flagNames(flag))}) _stowage_reply "$(compgen -W "${flag.value.words.join(" ")}" -- "$cur")"; return ;;`,
        );
      }
    }
    if (free.length) lines.push(`        ${alternatives(free)}) return ;;`);
    const flags = command.flags.flatMap((f) => (f.long ? [f.long] : flagNames(f))).join(" ");
    const positional = command.argumentWords.length ? command.argumentWords.join(" ") : flags;
    return [
      `    ${command.name})`,
      ...(lines.length ? [`      case "$prev" in`, ...lines, `      esac`] : []),
      `      if [[ "$cur" == -* ]]; then words="${flags}"; else words="${positional}"; fi`,
      `      ;;`,
    ].join("\n");
  });
  return `# stowage completion for bash. Load it with:  source <(stowage completion bash)
_stowage_reply() {
  local IFS=$'\\n'
  COMPREPLY=($1)
}
_stowage() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$command" in
    "") words="${names} --help" ;;
${cases.join("\n")}
  esac
  _stowage_reply "$(compgen -W "$words" -- "$cur")"
}
complete -F _stowage stowage
`;
}

/** Text inside a single-quoted zsh word, and inside _arguments' [description] or _describe's name:description. */
const zshQuote = (text: string) => text.replace(/'/g, "'\\''");
const zshDescription = (text: string) => zshQuote(text.replace(/([[\]:\\])/g, "\\$1"));

function zshFlag(flag: FlagSpec): string {
  const names = flagNames(flag);
  const description = `[${zshDescription(flag.description)}]`;
  let action = "";
  if (flag.value === "dir") action = ":dir:_files -/";
  else if (flag.value === "file") action = ":file:_files";
  else if (flag.value === "none") action = ":value: ";
  else if (flag.value) action = `:value:(${flag.value.words.join(" ")})`;
  if (names.length === 1) return `'${names[0]}${description}${action}'`;
  return `'(${names.join(" ")})'{${names.join(",")}}'${description}${action}'`;
}

export function zshScript(commands: CommandSpec[]): string {
  const described = commands.map((c) => `    '${zshQuote(c.name)}:${zshDescription(c.description)}'`).join("\n");
  const cases = commands.map((command) => {
    const specs = command.flags.map(zshFlag);
    if (command.argumentWords.length) specs.push(`'1:argument:(${command.argumentWords.join(" ")})'`);
    return `    (${command.name})\n      _arguments -s \\\n        ${specs.join(" \\\n        ")}\n      ;;`;
  });
  return `#compdef stowage
# stowage completion for zsh. Load it with:  source <(stowage completion zsh)
_stowage() {
  local -a commands
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'stowage command' commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join("\n")}
  esac
}
if [[ $zsh_eval_context[-1] == loadautoload ]]; then
  _stowage "$@"
else
  compdef _stowage stowage
fi
`;
}

/** Text inside a fish single-quoted string. */
const fishQuote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export function fishScript(commands: CommandSpec[]): string {
  const lines = [
    "# stowage completion for fish. Load it with:  stowage completion fish | source",
    "complete -c stowage -f",
  ];
  for (const command of commands) {
    lines.push(`complete -c stowage -n __fish_use_subcommand -a ${command.name} -d ${fishQuote(command.description)}`);
  }
  for (const command of commands) {
    const when = `-n ${fishQuote(`__fish_seen_subcommand_from ${command.name}`)}`;
    for (const flag of command.flags) {
      const names = [flag.long && `-l ${flag.long.slice(2)}`, flag.short && `-s ${flag.short.slice(1)}`];
      let value = "";
      if (flag.value === "dir") value = " -x -a '(__fish_complete_directories)'";
      else if (flag.value === "file") value = " -r -F";
      else if (flag.value === "none") value = " -x";
      else if (flag.value) value = ` -x -a ${fishQuote(flag.value.words.join(" "))}`;
      lines.push(
        `complete -c stowage ${when} ${names.filter(Boolean).join(" ")}${value} -d ${fishQuote(flag.description)}`,
      );
    }
    if (command.argumentWords.length) {
      lines.push(`complete -c stowage ${when} -a ${fishQuote(command.argumentWords.join(" "))}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
