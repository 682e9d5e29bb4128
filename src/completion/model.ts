// What shell completion knows about the command tree, read from the live commander tree so
// every registered command, alias, option and choice appears without further work.

import { Help } from "../deps.ts";

export interface OptionSpec {
  /** `-p`, `--profile` (either may be missing). */
  short?: string;
  long?: string;
  description: string;
  takesValue: boolean;
  choices?: readonly string[];
  hidden: boolean;
}

export interface ArgumentSpec {
  name: string;
  variadic: boolean;
  choices?: readonly string[];
}

export interface CommandSpec {
  /** Canonical names from the root ([] for the root). */
  path: string[];
  name: string;
  aliases: string[];
  description: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  commands: CommandSpec[];
}

/** The parts of a commander Command the model reads. */
interface CommandLike {
  name(): string;
  aliases(): string[];
  description(): string;
  readonly commands: readonly CommandLike[];
  readonly options: readonly OptionLike[];
  readonly registeredArguments: readonly {
    name(): string;
    variadic: boolean;
    argChoices?: string[];
  }[];
}

interface OptionLike {
  short?: string;
  long?: string;
  description: string;
  required: boolean;
  optional: boolean;
  hidden: boolean;
  argChoices?: string[];
}

// Every word lands in shell code; anything outside this set would need quoting there.
const SAFE_WORD = /^[A-Za-z0-9_.,:=+@%\/-]+$/;

function safe(word: string, what: string): string {
  if (!SAFE_WORD.test(word)) throw new Error(`completion: unsafe ${what} '${word}'`);
  return word;
}

function optionSpec(option: OptionLike): OptionSpec {
  return {
    short: option.short && safe(option.short, "option"),
    long: option.long && safe(option.long, "option"),
    description: option.description,
    takesValue: option.required || option.optional,
    // A choice that would need quoting (e.g. a status "not found") is not offered.
    choices: option.argChoices?.filter((choice) => SAFE_WORD.test(choice)),
    hidden: option.hidden,
  };
}

/** The completion model of `root` and everything below it. */
export function commandModel(root: CommandLike): CommandSpec {
  const help = new Help();
  const build = (command: CommandLike, path: string[]): CommandSpec => {
    // visibleOptions adds the help option; hidden options stay known (their values are skipped).
    // deno-lint-ignore no-explicit-any
    const visible = help.visibleOptions(command as any) as unknown as OptionLike[];
    const options = [...visible, ...command.options.filter((o) => !visible.includes(o))];
    return {
      path,
      name: safe(command.name(), "command"),
      aliases: command.aliases().map((a) => safe(a, "alias")),
      description: command.description().split("\n")[0],
      options: options.map(optionSpec),
      arguments: command.registeredArguments.map((argument) => ({
        name: argument.name(),
        variadic: argument.variadic,
        choices: argument.argChoices?.filter((choice) => SAFE_WORD.test(choice)),
      })),
      // visibleCommands leaves hidden ones out and adds the implicit `help` command.
      // deno-lint-ignore no-explicit-any
      commands: (help.visibleCommands(command as any) as unknown as CommandLike[])
        .map((child) => build(child, [...path, child.name()])),
    };
  };
  // `help [command]` (commander's implicit help command) takes a sibling's name.
  const helpTopics = (spec: CommandSpec): CommandSpec => {
    const siblings = spec.commands.filter((c) => c.name !== "help").map((c) => c.name);
    const commands = spec.commands.map((child) =>
      child.name === "help" && child.arguments[0]?.name === "command" && !child.arguments[0].choices
        ? { ...child, arguments: [{ ...child.arguments[0], choices: siblings }] }
        : helpTopics(child)
    );
    return { ...spec, commands };
  };
  return helpTopics(build(root, []));
}

/**
 * Whether the words after the command's first argument are another command's (`run`'s
 * sandbox command): no options or subcommands of contree are completed there.
 */
export function takesCommandLine(command: CommandSpec): boolean {
  return command.path.join(" ") === "run";
}

/** Every command of the model, root first, depth first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** `-p` and `--profile` of an option. */
export function optionWords(option: OptionSpec): string[] {
  return [option.short, option.long].filter((w): w is string => w !== undefined);
}

/** The key shells use for a command: its canonical path joined with spaces ("" = root). */
export function pathKey(command: CommandSpec): string {
  return command.path.join(" ");
}
