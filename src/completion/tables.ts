// The lookup tables every shell script is built from, as (patterns, value) pairs keyed by a
// command's path ("contree", "contree auth list") and a word typed on the command line.

import { allCommands, type CommandSpec, optionWords, takesCommandLine } from "./model.ts";

export const PROGRAM = "contree";

export function key(command: CommandSpec): string {
  return [PROGRAM, ...command.path].join(" ");
}

export interface Entry<T> {
  /** `<path>/<word>` (or just `<path>`) strings, any of which selects `value`. */
  patterns: string[];
  value: T;
}

export interface Tables {
  /** path/word → the canonical path of that subcommand (names and aliases). */
  child: Entry<string>[];
  /** path → its subcommands (names and aliases) with descriptions. */
  commands: Entry<[string, string][]>[];
  /** path → its visible options with descriptions. */
  options: Entry<[string, string][]>[];
  /** path/option → true for every option that takes a value (hidden ones too). */
  valueOptions: Entry<true>[];
  /** path/option → the option's choices. */
  optionChoices: Entry<readonly string[]>[];
  /** path → choices of positional arguments: from index `first` (to `last`, unless variadic). */
  argumentChoices: Entry<{ first: number; last?: number; choices: readonly string[] }[]>[];
  /** The paths whose words after the first argument are a command line (takesCommandLine). */
  commandLines: Entry<true>[];
}

export function completionTables(root: CommandSpec): Tables {
  const tables: Tables = {
    child: [],
    commands: [],
    options: [],
    valueOptions: [],
    optionChoices: [],
    argumentChoices: [],
    commandLines: [],
  };
  for (const command of allCommands(root)) {
    const path = key(command);
    if (takesCommandLine(command)) tables.commandLines.push({ patterns: [path], value: true });
    for (const child of command.commands) {
      tables.child.push({
        patterns: [child.name, ...child.aliases].map((word) => `${path}/${word}`),
        value: key(child),
      });
    }
    const subcommands = command.commands.flatMap((child) =>
      [child.name, ...child.aliases].map((word): [string, string] => [word, child.description])
    );
    if (subcommands.length) tables.commands.push({ patterns: [path], value: subcommands });
    const visible = command.options.filter((o) => !o.hidden)
      .flatMap((o) => optionWords(o).map((word): [string, string] => [word, o.description]));
    if (visible.length) tables.options.push({ patterns: [path], value: visible });
    const valued = command.options.filter((o) => o.takesValue).flatMap(optionWords);
    if (valued.length) {
      tables.valueOptions.push({ patterns: valued.map((w) => `${path}/${w}`), value: true });
    }
    for (const option of command.options) {
      if (option.choices?.length) {
        tables.optionChoices.push({
          patterns: optionWords(option).map((w) => `${path}/${w}`),
          value: option.choices,
        });
      }
    }
    const positional = command.arguments.flatMap((argument, index) =>
      argument.choices?.length
        ? [{
          first: index,
          last: argument.variadic ? undefined : index,
          choices: argument.choices,
        }]
        : []
    );
    if (positional.length) tables.argumentChoices.push({ patterns: [path], value: positional });
  }
  return tables;
}

/** Single-quoted for sh, bash, zsh and fish alike (fish also needs `\` escaped). */
export function singleQuoted(text: string, shell: "posix" | "fish"): string {
  if (shell === "fish") return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function header(shell: string, install: string[]): string[] {
  return [
    `# ${shell} completion for ${PROGRAM}, generated from its command tree by`,
    `# \`${PROGRAM} completion ${shell}\`. Regenerate it after upgrading ${PROGRAM}.`,
    "#",
    ...install.map((line) => `# ${line}`),
    "",
  ];
}
