// The fish script: `complete` rules conditioned on the command path under the cursor, which
// __contree_path works out with the same walk as the bash/zsh scripts (cached per command line).

import { allCommands, type CommandSpec, optionWords } from "./model.ts";
import { completionTables, type Entry, header, key, PROGRAM, singleQuoted } from "./tables.ts";

const q = (text: string) => singleQuoted(text, "fish");

function switchFunction<T>(
  name: string,
  comment: string,
  entries: Entry<T>[],
  body: (value: T) => string,
): string[] {
  const lines = [
    `# ${comment}`,
    `function ${name} --argument-names cmdpath word`,
    '    switch "$cmdpath/$word"',
  ];
  for (const entry of entries) {
    lines.push(
      `        case ${entry.patterns.map(q).join(" ")}`,
      `            ${body(entry.value)}`,
    );
  }
  lines.push("        case '*'", "            return 1", "    end", "end", "");
  return lines;
}

const WALK = `# The path of the (sub)command being completed: options and their values are skipped,
# subcommand names move the path, anything else is a positional argument.
function __contree_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath ${PROGRAM}
    set -l child
    set -l expect 0
    set -l positional 0
    for word in $tokens
        if test $expect -eq 1
            set expect 0
            continue
        end
        if test "$word" = --
            set cmdpath "$cmdpath --" # the sandbox command follows: no contree rule applies
            break
        end
        switch $word
            case '-*=*'
            case '-*'
                if __contree_takes_value $cmdpath $word
                    set expect 1
                end
            case '*'
                if test $positional -eq 0; and set child (__contree_child $cmdpath $word)
                    set cmdpath $child
                else
                    set positional (math $positional + 1)
                    if __contree_takes_command_line $cmdpath ''
                        set cmdpath "$cmdpath --" # run's sandbox command: not contree's words
                        break
                    end
                end
        end
    end
    echo $cmdpath
    echo $positional
end

# __contree_is PATH [FROM [TO]]: whether the cursor is in PATH, after FROM to TO positional
# arguments (computed once per command line).
function __contree_is
    set -l line (commandline -pc)
    if test "$line" != "$__contree_cached_line"
        set -g __contree_cached_line "$line"
        set -l walked (__contree_path)
        set -g __contree_cached_path $walked[1]
        set -g __contree_cached_positional $walked[2]
    end
    test "$__contree_cached_path" = "$argv[1]"; or return 1
    if set -q argv[2]; and test $__contree_cached_positional -lt $argv[2]
        return 1
    end
    if set -q argv[3]; and test $__contree_cached_positional -gt $argv[3]
        return 1
    end
end
`;

function rules(root: CommandSpec): string[] {
  const lines: string[] = [];
  for (const command of allCommands(root)) {
    const at = (range = "") => `-n ${q(`__contree_is ${q(key(command))}${range}`)}`;
    const when = at();
    const rulesOf: string[] = [];
    // Subcommands only where no argument came yet.
    for (const child of command.commands) {
      for (const word of [child.name, ...child.aliases]) {
        rulesOf.push(
          `complete -c ${PROGRAM} -f ${at(" 0 0")} -a ${q(word)} -d ${q(child.description)}`,
        );
      }
    }
    for (const option of command.options.filter((o) => !o.hidden)) {
      const flags = optionWords(option).map((word) =>
        word.startsWith("--")
          ? `-l ${q(word.slice(2))}`
          : word.length === 2
          ? `-s ${q(word.slice(1))}`
          : `-o ${q(word.slice(1))}`
      );
      const value = option.choices?.length
        ? ` -x -a ${q(option.choices.join(" "))}`
        : option.takesValue
        ? " -r"
        : "";
      rulesOf.push(
        `complete -c ${PROGRAM} ${when} ${flags.join(" ")}${value} -d ${q(option.description)}`,
      );
    }
    command.arguments.forEach((argument, index) => {
      if (!argument.choices?.length) return;
      // At its own position only (a variadic one: there and after).
      const range = argument.variadic ? ` ${index}` : ` ${index} ${index}`;
      rulesOf.push(
        `complete -c ${PROGRAM} -f ${at(range)} -a ${q(argument.choices.join(" "))}`,
      );
    });
    if (rulesOf.length) lines.push(`# ${key(command)}`, ...rulesOf, "");
  }
  return lines;
}

export function fishScript(root: CommandSpec): string {
  const tables = completionTables(root);
  return [
    ...header("fish", [
      `Install: ${PROGRAM} completion fish > ~/.config/fish/completions/${PROGRAM}.fish`,
    ]),
    ...switchFunction(
      "__contree_child",
      "__contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).",
      tables.child,
      (value) => `echo ${q(value)}`,
    ),
    ...switchFunction(
      "__contree_takes_value",
      "__contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.",
      tables.valueOptions,
      () => "return 0",
    ),
    ...switchFunction(
      "__contree_takes_command_line",
      "__contree_takes_command_line PATH '': whether PATH's words after its first argument are a command.",
      tables.commandLines.map((entry) => ({
        ...entry,
        patterns: entry.patterns.map((p) => `${p}/`),
      })),
      () => "return 0",
    ),
    WALK,
    `complete -c ${PROGRAM} -e`,
    "",
    ...rules(root),
  ].join("\n");
}
