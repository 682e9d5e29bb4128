// Help lists every alias: each command's usage line and its parent's command list show all of
// its names, and an option's row shows every spelling of it (`-U, --delete, --rm`).

import { buildProgram } from "../../src/cli/program.ts";
import type { RootCommand } from "../../src/cli/root.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";

type AnyCommand = RootCommand["commands"][number];

async function tree(): Promise<RootCommand> {
  const config = await ProfileStore.load(configPaths(envFromRecord({}), undefined));
  return await buildProgram(config, () => Promise.resolve());
}

function everyCommand(root: RootCommand): AnyCommand[] {
  const out: AnyCommand[] = [];
  const visit = (command: AnyCommand) => {
    for (const child of command.commands as AnyCommand[]) {
      out.push(child);
      visit(child);
    }
  };
  visit(root as unknown as AnyCommand);
  return out;
}

/** Help text with wide lines, so that no term wraps. */
function help(command: AnyCommand): string {
  command.configureOutput({ getOutHelpWidth: () => 400, getErrHelpWidth: () => 400 });
  return command.helpInformation();
}

Deno.test("help: every alias of every command, in its usage line and in its parent's list", async () => {
  const root = await tree();
  let aliased = 0;
  for (const command of everyCommand(root)) {
    const aliases = command.aliases();
    if (aliases.length === 0) continue;
    aliased++;
    const names = [command.name(), ...aliases].join("|");
    assertMatch(help(command), new RegExp(`^Usage: .*\\b${names.replaceAll("|", "\\|")} `));
    const parent = command.parent as AnyCommand;
    assertMatch(help(parent), new RegExp(`^  ${names.replaceAll("|", "\\|")}\\b`, "m"));
  }
  assert(aliased > 20, `only ${aliased} commands with aliases`);
});

Deno.test("help: an option alias is shown in its primary's row, not as a row of its own", async () => {
  const root = await tree();
  const find = (path: string[]) =>
    path.reduce(
      (command, name) => (command.commands as AnyCommand[]).find((c) => c.name() === name)!,
      root as unknown as AnyCommand,
    );
  const rows: [string[], RegExp][] = [
    [["session", "branch"], /^ {2}-U, --delete, --rm +delete branch NAME$/m],
    [["env"], /^ {2}-U, --delete, --rm +unset/m],
    [["tag"], /^ {2}-U, --delete, --rm +remove the tag/m],
    [["build"], /^ {2}-f, --file, --dockerfile <path> +the Dockerfile/m],
    [["run"], /^ {2}-d, --detach, --no-wait +return after spawning/m],
  ];
  for (const [path, row] of rows) {
    const text = help(find(path));
    assertMatch(text, row, path.join(" "));
    assert(!/same as --/.test(text), `${path.join(" ")}: an alias has a row of its own\n${text}`);
  }
});

Deno.test("help: the aliases show through the CLI, and each one works", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const env = { CONTREE_HOME: home };
    const [ops, auth, images] = await Promise.all([
      runCli(["op", "--help"], { env }),
      runCli(["auth", "--help"], { env }),
      runCli(["img", "--help"], { env }),
    ]);
    assertMatch(ops.stdout, /^ {2}cancel\|kill\|k \[options\] \[refs\.\.\.\]/m);
    assertMatch(auth.stdout, /^ {2}list\|ls\|profiles \[options\]/m);
    assertMatch(auth.stdout, /^ {2}remove\|rm\|del \[options\] <name>/m);
    assertMatch(images.stdout, /^Usage: contree images\|i\|img /);
    // A removed env key through the alias that help now shows.
    assertEquals((await runCli(["-S", "h", "env", "A=1"], { env })).code, 0);
    const removed = await runCli(["-S", "h", "env", "--rm", "A"], { env });
    assertEquals([removed.code, removed.stderr], [0, "[INFO] Unset A\n"]);
  } finally {
    await cleanup();
  }
});

Deno.test("help: at 60 columns descriptions wrap at words, within the width", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const help = await runCli(["run", "--help"], { env: { CONTREE_HOME: home, COLUMNS: "60" } });
    assertEquals(help.code, 0, help.stderr);
    // Over 60 only what cannot break: one long word (the --file grammar).
    const long = help.stdout.split("\n").filter((line) =>
      line.length > 60 && line.trim().includes(" ")
    );
    // Was: commander wrapped nothing under a 40-column description, the terminal cut mid-word.
    assertEquals(long, []);
    assertMatch(help.stdout, /working directory \(default:\n\s+the session cwd/);
    // The agents' note is wrapped too (it was one 80-column line).
    assertMatch(help.stdout, /\nAgents: read `contree agent` first \(workflow, sessions,\nsafety/);
    // The root's exit codes are text of ours: within 80 columns too (two lines were 93 and 83).
    const root = await runCli(["--help"], { env: { CONTREE_HOME: home, COLUMNS: "80" } });
    const wide = root.stdout.split("\n").filter((line) =>
      [...line].length > 80 && line.trim().includes(" ")
    );
    assertEquals(wide, []);
  } finally {
    await cleanup();
  }
});
