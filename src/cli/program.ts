// The command tree: the root (global options, src/cli/root.ts) and one registrar per noun.
//
// Only the nouns an invocation needs are registered: when its command word names one noun, the
// tree is the root, that noun and the agent note (every help ends with it), which parses, helps
// and fails exactly as the whole tree does for that command. Anything else — no command word,
// help at the root, an unknown word, `completion` and `agent` (they describe the whole tree), an
// argument the pre-scan does not understand — registers every noun. Building the whole tree
// costs ~4 ms of commander work per invocation (docs/BENCHMARKS.md, Startup). Each registrar is
// imported when its noun is registered: with deno.json's lazy-dynamic-imports Deno reads an
// `import()` target only when it runs, so `ps` reads its noun's modules and not the other 19.

import type { ProfileStore } from "../config/profiles.ts";
import { createRoot, type Invoke, type RootCommand, type Runner } from "./root.ts";
import { configureHelp, subcommand } from "./help.ts";
import { VERSION_FLAGS } from "../version.ts";
import { ExitCode } from "../errors.ts";

type Registrar = (program: RootCommand, run: Runner, invoke?: Invoke) => void;

export interface Noun {
  /** The top-level command names and aliases the registrar adds. */
  names: readonly string[];
  /** The registrar, from a module of its own: a command loads only its noun's modules. */
  load: () => Promise<Registrar>;
}

/** Every noun in registration (and help) order: the everyday commands, then local tooling. */
export const NOUNS: readonly Noun[] = [
  { names: ["use", "ci"], load: () => import("./use.ts").then((m) => m.registerUse) },
  { names: ["run", "r"], load: () => import("./run.ts").then((m) => m.registerRun) },
  {
    names: ["operation", "op", "ps", "show", "kill"],
    load: () => import("./operation.ts").then((m) => m.registerOperations),
  },
  { names: ["session", "s"], load: () => import("./session.ts").then((m) => m.registerSession) },
  {
    names: ["images", "i", "img"],
    load: () => import("./images.ts").then((m) => m.registerImages),
  },
  { names: ["tag", "t"], load: () => import("./tag.ts").then((m) => m.registerTag) },
  { names: ["ls", "cat", "cp"], load: () => import("./inspect.ts").then((m) => m.registerInspect) },
  { names: ["cd"], load: () => import("./cd.ts").then((m) => m.registerCd) },
  { names: ["env"], load: () => import("./env.ts").then((m) => m.registerEnv) },
  { names: ["file", "f"], load: () => import("./file.ts").then((m) => m.registerFile) },
  { names: ["shell", "sh"], load: () => import("./shell.ts").then((m) => m.registerShell) },
  { names: ["build", "bd"], load: () => import("./build.ts").then((m) => m.registerBuild) },
  { names: ["auth"], load: () => import("./auth.ts").then((m) => m.registerAuth) },
  { names: ["server"], load: () => import("./server.ts").then((m) => m.registerServer) },
  { names: ["task"], load: () => import("./task.ts").then((m) => m.registerTask) },
  { names: ["project"], load: () => import("./project.ts").then((m) => m.registerProject) },
  {
    names: ["completion"],
    load: () => import("./completion.ts").then((m) => m.registerCompletion),
  },
  { names: ["mcp"], load: () => import("./mcp.ts").then((m) => m.registerMcp) },
  { names: ["agent", "man"], load: () => import("./agent.ts").then((m) => m.registerAgent) },
  { names: ["skill"], load: () => import("./skill.ts").then((m) => m.registerSkill) },
];

/**
 * Command words whose commands describe the whole tree: completion scripts, the manual (and the
 * skill and MCP guides made from it), the shell's completion of commands.
 */
const WHOLE_TREE_WORDS = new Set(["completion", "agent", "man", "skill", "mcp", "shell", "sh"]);
/** The root's options that take a value (tests/cli/program_test.ts checks them against root.ts). */
export const ROOT_VALUE_OPTIONS: readonly string[] = [
  "-p",
  "--profile",
  "--token",
  "-u",
  "--url",
  "-P",
  "--project",
  "-c",
  "--config",
  "-L",
  "--log-level",
  "-f",
  "--format",
  "-S",
  "--session",
];

/**
 * The first argument that is not a root option: a command word; undefined when there is none;
 * null when the pre-scan cannot tell (commander then decides, on the whole tree).
 */
export function commandWord(args: readonly string[]): string | undefined | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") return arg;
    if (ROOT_VALUE_OPTIONS.includes(arg)) {
      i++;
      continue;
    }
    if (VERSION_FLAGS.has(arg)) continue;
    if (arg.startsWith("--")) {
      if (arg.includes("=") && ROOT_VALUE_OPTIONS.includes(arg.slice(0, arg.indexOf("=")))) {
        continue;
      }
    } else if (ROOT_VALUE_OPTIONS.includes(arg.slice(0, 2))) continue; // -fjson
    return null;
  }
  return undefined;
}

/** The nouns an invocation needs (all of them when in doubt). */
export function nounsFor(args: readonly string[]): readonly Noun[] {
  const agent = NOUNS.find((noun) => noun.names.includes("agent"))!;
  const word = commandWord(args);
  if (word === undefined) {
    // `contree -v`: the root prints the version; without -v the root's help lists everything.
    return args.some((arg) => VERSION_FLAGS.has(arg)) ? [agent] : NOUNS;
  }
  if (word === null || WHOLE_TREE_WORDS.has(word)) return NOUNS;
  const noun = NOUNS.find((candidate) => candidate.names.includes(word));
  return noun ? [noun, agent] : NOUNS;
}

/**
 * Builds the tree `args` need, or the whole tree without `args`. `config` supplies the `[cli]`
 * defaults of the global options; `invoke` (main) lets `contree shell` run its lines through a
 * fresh tree.
 */
export async function buildProgram(
  config: ProfileStore,
  run: Runner,
  args?: readonly string[],
  invoke?: Invoke,
): Promise<RootCommand> {
  const nouns = args === undefined ? NOUNS : nounsFor(args);
  if (nouns === NOUNS) await import("./every_noun.ts");
  const registrars = await Promise.all(nouns.map((noun) => noun.load()));
  const program = createRoot(config.cliDefaults());
  for (const register of registrars) register(program, run, invoke);
  configureGroups(program as unknown as HelpTarget);
  configureHelp(program);
  return program;
}

/**
 * Every command with subcommands: `help WORD…` (see showHelp) in place of commander's, and a
 * mistyped subcommand of a group that also acts alone (`session`) is an unknown command, as in
 * other groups (it was taken for an argument: "too many arguments for 'session'").
 */
function configureGroups(command: HelpTarget): void {
  for (const child of command.commands) configureGroups(child);
  if (command.commands.length === 0) return;
  command.helpCommand(false);
  command.command("help [command...]")
    .description(
      command.parent ? "show help for a command" : "show help for a command (`help task run`)",
    )
    .action((words: string[]) => showHelp(command, words));
  command.allowExcessArguments(true).hook("preAction", (group, actionCommand) => {
    const extra = group.args[group.registeredArguments.length];
    if (actionCommand === group && extra !== undefined) unknownCommand(group, extra);
  });
  // A group's default command (`images` lists) took a mistyped subcommand for its argument:
  // "too many arguments for 'list'" (`images imprt x`). Said as the unknown command it is.
  command.hook("preSubcommand", (group, sub) => {
    const word = group.args[0];
    if (word === undefined || word.startsWith("-")) return;
    if (word !== sub.name() && !sub.aliases().includes(word) && !subcommand(group, word)) {
      unknownCommand(group, word);
    }
  });
  // An unknown command lists the group's commands and aliases, as the reference's argparse
  // does (commander's own message, and ours above, say only the word and a suggestion).
  const error = command.error.bind(command);
  command.error = (message, options) => {
    if (options?.code !== "commander.unknownCommand") return error(message, options);
    const choices = command.createHelp().visibleCommands(command)
      .flatMap((child) => [child.name(), ...child.aliases()])
      .map((name) => `'${name}'`).join(", ");
    const [first, ...rest] = message.split("\n");
    return error([`${first} (choose from ${choices})`, ...rest].join("\n"), options);
  };
}

function unknownCommand(group: HelpTarget, word: string): never {
  const where = group.parent ? ` for '${group.name()}'` : "";
  const names = group.createHelp().visibleCommands(group)
    .flatMap((child) => [child.name(), ...child.aliases()]);
  group.error(`error: unknown command '${word}'${where}${similarWords(word, names)}`, {
    exitCode: ExitCode.USAGE,
    code: "commander.unknownCommand",
  });
}

/**
 * `(Did you mean …?)` as commander words it for the groups it handles itself: the names at the
 * fewest edits (at most 3, and fewer than 60% of the longer word), transpositions counting one.
 */
function similarWords(word: string, names: string[]): string {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(
          d[i - 1][j] + 1,
          d[i][j - 1] + 1,
          d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length][b.length];
  };
  let best = 3;
  let similar: string[] = [];
  for (const name of new Set(names)) {
    if (name.length <= 1) continue;
    const edits = distance(word, name);
    const length = Math.max(word.length, name.length);
    if ((length - edits) / length <= 0.4 || edits > best) continue;
    similar = edits < best ? [name] : [...similar, name];
    best = edits;
  }
  similar.sort((a, b) => a.localeCompare(b));
  if (similar.length === 0) return "";
  return similar.length === 1
    ? `\n(Did you mean ${similar[0]}?)`
    : `\n(Did you mean one of ${similar.join(", ")}?)`;
}

type HelpTarget = RootCommand["commands"][number];

/**
 * `help WORD…`: the help of the command those words name below `group`, however deep
 * (commander's own help command took one word, and answered an unknown one with the group's
 * help as an error).
 */
function showHelp(group: HelpTarget, words: readonly string[]): void {
  let command = group;
  for (const word of words) {
    const next = subcommand(command, word);
    if (!next) unknownCommand(command, word);
    command = next;
  }
  command.help();
}
