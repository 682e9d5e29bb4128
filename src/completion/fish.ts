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
                end
        end
    end
    echo $cmdpath
end

# __contree_is PATH: whether the cursor is in PATH (computed once per command line).
function __contree_is
    set -l line (commandline -pc)
    if test "$line" != "$__contree_cached_line"
        set -g __contree_cached_line "$line"
        set -g __contree_cached_path (__contree_path)
    end
    test "$__contree_cached_path" = "$argv[1]"
end
`;

function rules(root: CommandSpec): string[] {
  const lines: string[] = [];
  for (const command of allCommands(root)) {
    const when = `-n ${q(`__contree_is ${q(key(command))}`)}`;
    const rulesOf: string[] = [];
    for (const child of command.commands) {
      for (const word of [child.name, ...child.aliases]) {
        rulesOf.push(`complete -c ${PROGRAM} -f ${when} -a ${q(word)} -d ${q(child.description)}`);
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
    const choices = command.arguments.flatMap((argument) => argument.choices ?? []);
    if (choices.length) {
      rulesOf.push(`complete -c ${PROGRAM} -f ${when} -a ${q(choices.join(" "))}`);
    }
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
    WALK,
    `complete -c ${PROGRAM} -e`,
    "",
    ...rules(root),
  ].join("\n");
}
