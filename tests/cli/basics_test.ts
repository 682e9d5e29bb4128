import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { apiEnv, runCli, spawnCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";

Deno.test("no arguments: help on stdout, exit 0", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli([], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 0);
    assertMatch(result.stdout, /^Usage: contree \[options\] <command> \[args\]/);
    assertMatch(result.stdout, /Exit codes:/);
    assertEquals(result.stderr, "");
  } finally {
    await cleanup();
  }
});

Deno.test("-v prints contree/<version> Deno/<version> <os>-<arch>", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["-v"], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 0);
    assertMatch(result.stdout, /^contree\/(dev|\d+\.\d+\.\d+) Deno\/\d+\.\d+\.\d+ \w+-\w+\n$/);
    assertEquals(result.stderr, "");
    // `-v` alone is answered before the parser loads; with other options it goes through the
    // tree: both print the same line.
    for (const args of [["--version"], ["-L", "error", "-v"], ["-f", "json", "--version"]]) {
      const other = await runCli(args, { env: { CONTREE_HOME: home } });
      assertEquals(
        [other.code, other.stdout, other.stderr],
        [0, result.stdout, ""],
        args.join(" "),
      );
    }
  } finally {
    await cleanup();
  }
});

Deno.test("run without -A: one line saying so, exit 2 (was Deno's NotCapable stack trace)", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  for (const flags of [[], ["--allow-env", "--allow-read"]]) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...flags, main, "ps"],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 2, stderr);
    assertEquals(output.stdout.length, 0);
    assertMatch(
      stderr,
      /^\[ERROR\] contree needs all permissions \(missing: [a-z, ]+\): run it with -A/,
    );
    assertEquals(stderr.split("\n").length, 2, stderr);
  }
});

Deno.test("-v and --help into a reader that went away (`| true`): exit 0, nothing on stderr", async () => {
  const { home, cleanup } = await tempHome();
  try {
    for (const args of [["-v"], ["-L", "error", "-v"], ["--help"]]) {
      const child = spawnCli(args, { env: { CONTREE_HOME: home } });
      await child.stdout.cancel(); // closed long before the program starts writing
      const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
      assertEquals([status.code, stderr], [0, ""], args.join(" "));
    }
  } finally {
    await cleanup();
  }
});

Deno.test("help [command]: the help on stdout, exit 0; a group without its subcommand: exit 2", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const env = { CONTREE_HOME: home };
    const pairs = [
      [["help"], ["--help"]],
      [["help", "run"], ["run", "--help"]],
      [["op", "help", "show"], ["op", "show", "--help"]],
      // however deep (was the help of `task`), and in groups that act alone too
      [["help", "task", "run"], ["task", "run", "--help"]],
      [["help", "op", "wait"], ["op", "wait", "--help"]],
      [["session", "help", "branch"], ["session", "branch", "--help"]],
    ];
    for (const [args, same] of pairs) {
      const result = await runCli(args, { env });
      assertEquals([result.code, result.stderr], [0, ""], args.join(" "));
      assertEquals(result.stdout, (await runCli(same, { env })).stdout, args.join(" "));
    }
    const group = await runCli(["op"], { env });
    assertEquals([group.code, group.stdout], [2, ""]);
    assertMatch(group.stderr, /^Usage: contree operation/);
    // An unknown word says so (help of `help bogus` was the whole help, as an error, and
    // `session bogus` was "too many arguments").
    for (
      const [args, line] of [
        [["help", "bogus"], "error: unknown command 'bogus'"],
        [["help", "task", "bogus"], "error: unknown command 'bogus' for 'task'"],
        [["session", "bogus"], "error: unknown command 'bogus' for 'session'"],
        // was "too many arguments for 'list'" (`images` lists by default)
        [["images", "imprt", "busybox"], "error: unknown command 'imprt' for 'images'"],
        // was the root's help, exit 0
        [["bogus", "--help"], "error: unknown command 'bogus'"],
        // was the group's help, exit 0, as if there were such a command
        [["images", "delete", "--help"], "error: unknown command 'delete' for 'images'"],
        [["session", "bogus", "-h"], "error: unknown command 'bogus' for 'session'"],
        [["task", "archive", "bogus", "--help"], "error: unknown command 'bogus'"],
      ]
    ) {
      const unknown = await runCli(args as string[], { env });
      assertEquals([unknown.code, unknown.stdout], [2, ""], String(args));
      // The reference's argparse lists the choices (commands and aliases).
      const said = unknown.stderr.split("\n").find((text) => text.startsWith("error:"));
      assert(said?.startsWith(`${line} (choose from '`), `${args}: ${unknown.stderr}`);
    }
    // Help of a command that is there still is help (exit 0), at every depth.
    for (const args of [["images", "list", "--help"], ["task", "archive", "list", "-h"]]) {
      const help = await runCli(args, { env });
      assertEquals([help.code, help.stderr], [0, ""], String(args));
      assertMatch(help.stdout, new RegExp(`^Usage: contree ${args.slice(0, -1).join(" ")}`));
    }
    // A near miss gets commander's suggestion in those groups too (they had none).
    for (const [args, guess] of [[["session", "shwo"], "show"], [["images", "imprt"], "import"]]) {
      const near = await runCli(args as string[], { env });
      assertEquals(near.code, 2);
      assertStringIncludes(near.stderr, `\n(Did you mean ${guess}?)\n`);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("unknown command: usage and a suggestion on stderr, exit 2", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["autth"], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 2);
    assertEquals(result.stdout, "");
    assertMatch(result.stderr, /^Usage: contree /);
    assertMatch(result.stderr, /unknown command 'autth' \(choose from 'use', 'ci', 'run', 'r', /);
    assertMatch(result.stderr, /Did you mean auth\?/);
  } finally {
    await cleanup();
  }
});

Deno.test("a global option after the command: exit 2, saying it goes before the command", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["ps", "-f", "json"], { env: { CONTREE_HOME: home } });
    assertEquals([result.code, result.stdout], [2, ""]);
    assertEquals(
      result.stderr,
      "Usage: contree ps [options]\nerror: unknown option '-f'\n" +
        "(-f is an option of contree itself: put it before the command, as in contree -f … ps …)\n",
    );
    // An option nobody has gets no such line.
    const other = await runCli(["ps", "--bogus"], { env: { CONTREE_HOME: home } });
    assertEquals(other.stderr, "Usage: contree ps [options]\nerror: unknown option '--bogus'\n");
  } finally {
    await cleanup();
  }
});

Deno.test("bad option value: exit 2 with the allowed choices", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["-f", "yaml", "auth", "ls"], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 2);
    assert(result.stderr.includes("Allowed choices are default, plain, json"));
  } finally {
    await cleanup();
  }
});

Deno.test("config values the CLI cannot take are ignored with one warning each", async () => {
  const { home, cleanup } = await tempHome();
  const fake = FakeApi.start();
  try {
    fake.on("GET", "/v1/operations", () => ({ json: [] }));
    await Deno.writeTextFile(`${home}/cli.ini`, "[cli]\noutput_format = yaml\nlog_level = 5\n");
    const env = { ...apiEnv(fake, home), CONTREE_CONCURRENCY: "abc" };
    const result = await runCli(["-f", "json", "ps", "-a"], { env });
    assertEquals([result.code, result.stdout], [0, ""]);
    assertEquals(result.stderr.trim().split("\n"), [
      "[WARNING] Ignoring [cli] output_format = yaml: not one of default, plain, json, json-pretty, table, csv, tsv, toml",
      "[WARNING] Ignoring [cli] log_level = 5: not one of debug, info, warning, error, critical",
      "[WARNING] Ignoring CONTREE_CONCURRENCY=abc: not a positive integer (using 8)",
    ]);
  } finally {
    await fake.close();
    await cleanup();
  }
});
