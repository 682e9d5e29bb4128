// `contree completion bash|zsh|fish`: snapshots of the scripts for the current command tree,
// and the scripts' behaviour in each shell that is installed (bash always; zsh and fish print a
// SKIP line where missing).
//
// When commands, aliases or options change, regenerate the snapshots with one command:
//
//   UPDATE_GOLDEN=1 deno test -A tests/completion/scripts_test.ts
//
// and review the diff of tests/golden/completion/.

import { completionScript, type Shell, SHELLS } from "../../src/cli/completion.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";

const GOLDEN_DIR = new URL("../golden/completion/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

async function currentTree() {
  const config = await ProfileStore.load(configPaths(envFromRecord({}), undefined));
  return await buildProgram(config, () => Promise.resolve());
}

async function script(shell: Shell): Promise<string> {
  return completionScript(await currentTree(), shell);
}

async function withScriptFile<T>(shell: Shell, body: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ prefix: "contree-completion-", suffix: `.${shell}` });
  try {
    await Deno.writeTextFile(path, await script(shell));
    return await body(path);
  } finally {
    await Deno.remove(path);
  }
}

async function shellOutput(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const output = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent", LC_ALL: "C" },
    clearEnv: true,
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  };
}

function installed(shell: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${shell}`).isFile) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

// ---- snapshots ------------------------------------------------------------------------------

for (const shell of SHELLS) {
  Deno.test(`completion ${shell}: matches the snapshot of the current command tree`, async () => {
    const name = `contree.${shell}`;
    const actual = await script(shell);
    if (UPDATE) {
      await Deno.mkdir(GOLDEN_DIR, { recursive: true });
      await Deno.writeTextFile(new URL(name, GOLDEN_DIR), actual);
      return;
    }
    let expected: string;
    try {
      expected = await Deno.readTextFile(new URL(name, GOLDEN_DIR));
    } catch {
      throw new Error(
        `snapshot ${name} missing: UPDATE_GOLDEN=1 deno test -A tests/completion/scripts_test.ts`,
      );
    }
    assertEquals(
      actual,
      expected,
      `${name} differs from the tree: UPDATE_GOLDEN=1 deno test -A tests/completion/scripts_test.ts`,
    );
  });
}

Deno.test("completion: the command prints the script; an unknown shell is a usage error", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const bash = await runCli(["completion", "bash"], { env: { CONTREE_HOME: home } });
    assertEquals([bash.code, bash.stderr], [0, ""]);
    assertEquals(bash.stdout, await script("bash"));

    const ksh = await runCli(["completion", "ksh"], { env: { CONTREE_HOME: home } });
    assertEquals([ksh.code, ksh.stdout], [2, ""]);
    assertMatch(ksh.stderr, /Allowed choices are bash, zsh, fish/);
  } finally {
    await cleanup();
  }
});

// ---- behaviour -------------------------------------------------------------------------------

/** Command lines (the last word is being completed) and the candidates each must offer. */
const CASES: { line: string[]; expect: string[]; exact?: boolean }[] = [
  { line: ["contree", "au"], expect: ["auth"] },
  {
    line: ["contree", "auth", ""],
    expect: ["list", "ls", "profiles", "use", "switch", "remove", "rm", "del", "help"],
    exact: true,
  },
  // Global options that take a value are skipped while finding the command.
  { line: ["contree", "-p", "prof", "-L", "debug", "auth", "l"], expect: ["list", "ls"] },
  {
    line: ["contree", "-f", ""],
    expect: ["default", "plain", "json", "json-pretty", "table", "csv", "tsv", "toml"],
    exact: true,
  },
  { line: ["contree", "auth", "--type", ""], expect: ["iam", "jwt"], exact: true },
  {
    line: ["contree", "auth", "ls", "-"],
    expect: ["-O", "--offline", "-h", "--help"],
    exact: true,
  },
  { line: ["contree", "completion", ""], expect: ["bash", "zsh", "fish"], exact: true },
  { line: ["contree", "man", "c"], expect: ["core", "core_workflow", "command_safety"] },
  { line: ["contree", "help", "a"], expect: ["auth", "agent"] },
  { line: ["contree", "session", "help", "b"], expect: ["branch"], exact: true },
  // After `--` the words belong to the sandbox command: no contree options.
  { line: ["contree", "auth", "--", "-"], expect: [], exact: true },
  // So do run's words after its first (they were offered run's options).
  { line: ["contree", "run", "ls", "--"], expect: [], exact: true },
  { line: ["contree", "run", "--"], expect: ["--detach", "--cwd"] },
  // Subcommands only where no argument came yet (fish offered them after any word).
  { line: ["contree", "bogus", "ru"], expect: [], exact: true },
];

function matches(candidates: string[], line: string[]): string[] {
  const prefix = line[line.length - 1];
  return candidates.filter((c) => c.startsWith(prefix)).sort();
}

function checkCase(shell: string, c: typeof CASES[number], offered: string[]): void {
  const got = matches(offered, c.line);
  const label = `${shell}: ${JSON.stringify(c.line.join(" "))}`;
  if (c.exact) assertEquals(got, [...c.expect].sort(), label);
  else for (const word of c.expect) assert(got.includes(word), `${label}: ${word} not in ${got}`);
}

Deno.test("completion bash: sources cleanly, registers, and completes the tree", async () => {
  await withScriptFile("bash", async (path) => {
    const registered = await shellOutput(["bash", "-c", `source '${path}' && complete -p contree`]);
    assertEquals(registered.err, "");
    assertEquals(registered.out, "complete -o default -F _contree contree\n");

    const calls = CASES.map((c) => {
      const words = c.line.map((w) => `'${w}'`).join(" ");
      return `COMP_WORDS=(${words}); COMP_CWORD=${c.line.length - 1}; _contree; ` +
        `printf '%s\\n' "\${COMPREPLY[*]}"`;
    });
    const run = await shellOutput(["bash", "-c", [`source '${path}'`, ...calls].join("\n")]);
    assertEquals([run.code, run.err], [0, ""]);
    const lines = run.out.split("\n");
    CASES.forEach((c, i) => checkCase("bash", c, lines[i].split(" ").filter(Boolean)));
  });
});

Deno.test("completion bash: words bash splits at ':' and '=' are read as typed", async () => {
  await withScriptFile("bash", async (path) => {
    // COMP_WORDS as bash makes them (COMP_WORDBREAKS holds ':' and '=').
    const lines: { words: string[]; expect: string[] }[] = [
      // Was: the URL's pieces counted as arguments, and `session` was not seen as the command.
      {
        words: ["contree", "-u", "http", ":", "//127.0.0.1", ":", "8080", "session", "br"],
        expect: ["br", "branch"],
      },
      { words: ["contree", "-S", "a", ":", "b", "session", "br"], expect: ["br", "branch"] },
      // Was: files (the word under the cursor is "=", which no choice starts with).
      {
        words: ["contree", "--format", "="],
        expect: ["csv", "default", "json", "json-pretty", "plain", "table", "toml", "tsv"],
      },
      { words: ["contree", "--format", "=", "js"], expect: ["json", "json-pretty"] },
    ];
    const calls = lines.map(({ words }) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; ` +
      `_contree; printf '%s\\n' "\${COMPREPLY[*]}"`
    );
    const run = await shellOutput(["bash", "-c", [`source '${path}'`, ...calls].join("\n")]);
    assertEquals([run.code, run.err], [0, ""]);
    const out = run.out.split("\n");
    lines.forEach(({ words, expect }, i) =>
      assertEquals(out[i].split(" ").filter(Boolean).sort(), expect, words.join(" "))
    );
  });
});

Deno.test({
  name: "completion zsh: valid syntax, and the dispatcher offers the tree",
  ignore: !installed("zsh"),
  async fn() {
    await withScriptFile("zsh", async (path) => {
      const syntax = await shellOutput(["zsh", "-n", path]);
      assertEquals([syntax.code, syntax.err], [0, ""]);
      // The completion system's builtins are replaced by stubs that print what they get (the
      // real ones filter by prefix; `matches` does that here).
      const stubs = [
        "compdef() { : }",
        "compset() { : }",
        "_files() { print -r -- '<files>' }",
        'compadd() { shift; print -r -- "$*" }',
        '_describe() { local -a items; items=("${(@P)${@[-1]}}"); print -r -- "${(j: :)items[@]%%:*}" }',
      ];
      const calls = CASES.map((c) => {
        const words = c.line.map((w) => `'${w}'`).join(" ");
        return `words=(${words}); CURRENT=${c.line.length}; print -r -- "$(_contree | tr '\\n' ' ')"`;
      });
      const run = await shellOutput([
        "zsh",
        "-f",
        "-c",
        [...stubs, `source '${path}'`, ...calls].join("\n"),
      ]);
      assertEquals([run.code, run.err], [0, ""]);
      const lines = run.out.split("\n");
      CASES.forEach((c, i) => checkCase("zsh", c, lines[i].split(" ").filter(Boolean)));
    });
  },
});
if (!installed("zsh")) console.log("SKIP: completion zsh behaviour: zsh is not installed");

Deno.test({
  name: "completion fish: valid syntax, and complete -C offers the tree",
  ignore: !installed("fish"),
  async fn() {
    await withScriptFile("fish", async (path) => {
      const syntax = await shellOutput(["fish", "--no-execute", path]);
      assertEquals([syntax.code, syntax.err], [0, ""]);
      const calls = CASES.map((c) => {
        const line = c.line.join(" ").replaceAll("'", "\\'");
        return `set -l c (complete -C '${line}' | string replace -r '\\t.*' ''); echo "$c"`;
      });
      const run = await shellOutput([
        "fish",
        "--no-config",
        "-c",
        [`source '${path}'`, ...calls].join("\n"),
      ]);
      assertEquals([run.code, run.err], [0, ""]);
      const lines = run.out.split("\n");
      CASES.forEach((c, i) => checkCase("fish", c, lines[i].split(" ").filter(Boolean)));
    });
  },
});
if (!installed("fish")) console.log("SKIP: completion fish behaviour: fish is not installed");
