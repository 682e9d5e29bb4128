// Help that lists every alias: of commands (`operation|op`, `cancel|kill|k`) in usage lines and
// command lists, and of options (`-U, --delete, --rm`) beside the option they stand for.
// Commander shows only a command's first alias and has no option aliases; an option alias is
// a separate option here, marked with `aliasOption`, that help folds into its primary's row
// (shell completion still offers it: src/completion reads the plain tree).

import { Help, Option } from "../deps.ts";
import type { RootCommand } from "./root.ts";

type AnyCommand = RootCommand["commands"][number];
type AnyOption = AnyCommand["options"][number];

/** Alias option → the long name of the option it stands for. */
const primaryOf = new WeakMap<object, string>();

/** `flags` (e.g. `--rm`) as another spelling of the option whose long name is `primary`. */
export function aliasOption<Flags extends string>(flags: Flags, primary: string): Option<Flags> {
  const option = new Option(flags, `same as ${primary}`);
  primaryOf.set(option, primary);
  return option;
}

/** `-f, --file <path>` → names `-f, --file` and value `<path>`. */
function splitFlags(flags: string): { names: string; value: string } {
  const match = /^(.*?)\s*([<[].*)?$/.exec(flags.trim())!;
  return { names: match[1], value: match[2] ?? "" };
}

/** A command's name with every alias: `cancel|kill|k`. */
function namesTerm(command: AnyCommand): string {
  return [command.name(), ...command.aliases()].join("|");
}

function aliasHelp(): Partial<Help> {
  // Filled by visibleOptions (always called before the option terms of the same command).
  const aliasFlags = new WeakMap<object, string[]>();
  return {
    // Commander wraps descriptions only in a column of 40 or more: at 60 columns the terminal
    // broke them mid-word. 20 keeps a column that still reads.
    minWidthToWrap: 20,
    visibleOptions(command) {
      const options = Help.prototype.visibleOptions.call(this, command) as AnyOption[];
      const aliases = options.filter((option) => primaryOf.has(option));
      for (const option of options) {
        const own = aliases.filter((alias) => primaryOf.get(alias) === option.long);
        if (own.length) aliasFlags.set(option, own.map((alias) => splitFlags(alias.flags).names));
      }
      return options.filter((option) => !primaryOf.has(option)) as never;
    },
    optionTerm(option) {
      const extra = aliasFlags.get(option);
      if (!extra) return option.flags;
      const { names, value } = splitFlags(option.flags);
      return [[names, ...extra].join(", "), value].filter(Boolean).join(" ");
    },
    subcommandTerm(command) {
      const term = Help.prototype.subcommandTerm.call(this, command);
      const first = command.aliases()[0];
      const shown = first ? `${command.name()}|${first}` : command.name();
      return namesTerm(command as AnyCommand) + term.slice(shown.length);
    },
    commandUsage(command) {
      const usage = Help.prototype.commandUsage.call(this, command);
      const first = command.aliases()[0];
      if (!first) return usage;
      return usage.replace(`${command.name()}|${first}`, namesTerm(command as AnyCommand));
    },
  };
}

/** Applies the alias-aware help to `root` and every command below it. */
export function configureHelp(root: RootCommand): void {
  const configuration = aliasHelp();
  const visit = (command: AnyCommand) => {
    command.configureHelp(configuration);
    // One wording everywhere (commands made with `new Command` do not inherit the root's).
    command.helpOption("-h, --help", "show help");
    for (const child of command.commands as AnyCommand[]) visit(child);
  };
  visit(root as unknown as AnyCommand);
}

/** The subcommand of `parent` that `word` names (its name or an alias). */
export function subcommand<T extends Pick<AnyCommand, "commands">>(
  parent: T,
  word: string,
): T["commands"][number] | undefined {
  return parent.commands.find((child) => child.name() === word || child.aliases().includes(word));
}
