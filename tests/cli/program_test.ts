// The tree an invocation builds: only the nouns its command word needs, with help text and
// parsing identical to the whole tree's; the whole tree whenever the pre-scan is in doubt.

import {
  buildProgram,
  commandWord,
  NOUNS,
  nounsFor,
  ROOT_VALUE_OPTIONS,
} from "../../src/cli/program.ts";
import { createRoot, type RootCommand } from "../../src/cli/root.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { assert, assertEquals } from "../support/assert.ts";

type AnyCommand = RootCommand["commands"][number];

async function config(): Promise<ProfileStore> {
  return await ProfileStore.load(configPaths(envFromRecord({}), undefined));
}

const noop = () => Promise.resolve();

function names(program: RootCommand): string[] {
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

Deno.test("each noun names exactly the top-level commands its registrar adds", async () => {
  for (const noun of NOUNS) {
    const program = createRoot(new Map());
    (await noun.load())(program, noop);
    assertEquals(names(program), [...noun.names], noun.names[0]);
  }
});

Deno.test("every_noun.ts imports exactly the modules the nouns load", async () => {
  const read = (name: string) =>
    Deno.readTextFile(new URL(`../../src/cli/${name}`, import.meta.url));
  const loaded = [...(await read("program.ts")).matchAll(/import\("(\.\/\w+\.ts)"\)/g)];
  const imported = [...(await read("every_noun.ts")).matchAll(/^import "(\.\/\w+\.ts)";$/gm)];
  assertEquals(loaded.length, NOUNS.length + 1); // and every_noun.ts itself
  assertEquals(
    imported.map((match) => match[1]).sort(),
    loaded.map((match) => match[1]).filter((path) => path !== "./every_noun.ts").sort(),
  );
});

Deno.test("the whole tree is every noun, in order", async () => {
  const whole = await buildProgram(await config(), noop);
  assertEquals(names(whole), [...NOUNS.flatMap((noun) => noun.names), "help"]);
});

Deno.test("the pre-scan knows every root option that takes a value", () => {
  const root = createRoot(new Map());
  const taking = root.options.filter((o) => o.required || o.optional)
    .flatMap((o) => [o.short, o.long].filter((flag): flag is string => !!flag));
  assertEquals([...ROOT_VALUE_OPTIONS].sort(), taking.sort());
});

Deno.test("command words: root options are skipped; anything unclear is null", () => {
  assertEquals(commandWord(["ps"]), "ps");
  assertEquals(commandWord(["-f", "json", "-L", "debug", "op", "ls"]), "op");
  assertEquals(commandWord(["--format=json", "-Sx", "-fjson", "run", "--", "ls"]), "run");
  assertEquals(commandWord(["-v"]), undefined);
  assertEquals(commandWord(["-p"]), undefined);
  for (const unclear of [["--help"], ["-h", "ps"], ["-x", "ps"], ["--bogus=1"], ["-vh"]]) {
    assertEquals(commandWord(unclear), null, unclear.join(" "));
  }
});

Deno.test("nouns: one noun plus the agent note, or all of them", () => {
  const named = (args: string[]) => nounsFor(args).map((noun) => noun.names[0]);
  assertEquals(named(["ps", "-a"]), ["operation", "agent"]);
  assertEquals(named(["-f", "json", "r", "--", "true"]), ["run", "agent"]);
  assertEquals(named(["-v"]), ["agent"]);
  const all = NOUNS.map((noun) => noun.names[0]);
  for (
    const args of [[], ["--help"], ["help", "ps"], ["completion", "bash"], ["man"], ["nope"], [
      "-x",
    ]]
  ) {
    assertEquals(named(args), all, args.join(" "));
  }
});

/** Every command's full help (with the texts added around it), by command path. */
function helps(program: RootCommand, under: string): Map<string, string> {
  const result = new Map<string, string>();
  const visit = (command: AnyCommand, path: string) => {
    let text = "";
    command.configureOutput({ writeOut: (s) => void (text += s), getOutHelpWidth: () => 100 });
    command.outputHelp();
    result.set(path, text);
    for (const child of command.commands as AnyCommand[]) visit(child, `${path} ${child.name()}`);
  };
  for (const command of program.commands as AnyCommand[]) {
    if (command.name() === under) visit(command, command.name());
  }
  return result;
}

Deno.test("a tree of one noun prints every help of that noun as the whole tree does", async () => {
  const settings = await config();
  const whole = await buildProgram(settings, noop);
  for (const noun of NOUNS) {
    const partial = await buildProgram(settings, noop, [noun.names[0], "--help"]);
    for (const name of noun.names) {
      const command = whole.commands.find((c) => c.name() === name);
      if (!command) continue; // an alias
      const expected = helps(whole, name);
      assert(expected.size > 0);
      assertEquals(helps(partial, name), expected, name);
    }
  }
});
