// Tab completion in the shell: builtins, the command tree (subcommands, aliases, options and
// their choices), and the value sources, with the TTLs of their caches (CLI spec §10).

import { buildProgram } from "../../src/cli/program.ts";
import { commandModel } from "../../src/completion/model.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";
import { FORMAT_NAMES } from "../../src/output/formatter.ts";
import {
  type CompletionPort,
  IMAGES_TTL_MS,
  OPERATIONS_TTL_MS,
  SANDBOX_TTL_MS,
  ShellCompleter,
} from "../../src/shell/complete.ts";
import { assert, assertEquals } from "../support/assert.ts";

const model = commandModel(
  await buildProgram(
    await ProfileStore.load(configPaths(envFromRecord({}), undefined)),
    () => Promise.resolve(),
  ),
);

interface Fake {
  completer: ShellCompleter;
  calls: string[];
  clock: { now: number };
  port: CompletionPort;
}

const TREE: Record<string, { path: string; is_dir: boolean }[]> = {
  "/": [
    { path: "/etc", is_dir: true },
    { path: "/bin", is_dir: true },
    { path: "/init.sh", is_dir: false },
  ],
  "/etc/": [
    { path: "/etc/passwd", is_dir: false },
    { path: "/etc/profile", is_dir: false },
    { path: "/etc/ssl", is_dir: true },
  ],
  "/work/": [{ path: "/work/notes.txt", is_dir: false }, { path: "/work/src", is_dir: true }],
  "/dd/": [
    { path: "/dd/a b.txt", is_dir: false },
    { path: "/dd/it's", is_dir: false },
    { path: "/dd/漢字", is_dir: true },
  ],
};

function fake(options: { cwd?: string; image?: string; hostCwd?: string } = {}): Fake {
  const calls: string[] = [];
  const clock = { now: 1_000_000 };
  const port: CompletionPort = {
    images: () => {
      calls.push("images");
      return Promise.resolve([
        { uuid: "11111111-aaaa", tag: "busybox:latest" },
        { uuid: "22222222-bbbb", tag: "ubuntu:noble" },
        { uuid: "33333333-cccc", tag: null },
      ]);
    },
    operations: () => {
      calls.push("operations");
      return Promise.resolve(["op-1111", "op-2222"]);
    },
    image: () => "image" in options ? options.image : "img",
    listSandbox: (image, dir) => {
      calls.push(`list ${image} ${dir}`);
      return Promise.resolve(TREE[dir] ?? []);
    },
    cwd: () => options.cwd ?? "/",
    branches: () => ["main", "feature", "detached-x"],
    sessions: () => ["proj+1234abcd", "other"],
    profiles: () => ["default", "local"],
    envKeys: () => ["DEBUG", "PATH_EXTRA"],
    hostCwd: options.hostCwd ?? "/",
    home: "/home/u",
    now: () => clock.now,
  };
  return { completer: new ShellCompleter(model, port, FORMAT_NAMES), calls, clock, port };
}

async function complete(f: Fake, line: string): Promise<string[]> {
  const [candidates, word] = await f.completer.complete(line);
  const typed = line.slice(line.length - word.length);
  assertEquals(word, typed, "the candidates replace the word being typed");
  return candidates;
}

Deno.test("shell completion: the first word is a builtin, an alias, contree or timeout", async () => {
  const f = fake();
  assertEquals(await complete(f, "c"), ["cd ", "clear ", "cat ", "contree "]);
  assertEquals(await complete(f, "hi"), ["history "]);
  assertEquals((await complete(f, "")).length, 17);
  assertEquals(await complete(f, "--f"), ["--format "]);
});

Deno.test("shell completion: commands and subcommands of the tree, with their aliases", async () => {
  const f = fake();
  assertEquals(await complete(f, "contree ses"), ["session "]);
  assertEquals(await complete(f, "contree session bra"), ["branch "]);
  assertEquals(await complete(f, "contree session b"), ["branch ", "br "]);
  assertEquals(await complete(f, "contree op c"), ["cancel "]);
  assertEquals(await complete(f, "contree op k"), ["kill ", "k "]);
  assert((await complete(f, "contree ")).includes("shell "), "every command");
  assertEquals(await complete(f, "contree sk"), ["skill "]);
});

Deno.test("shell completion: options, aliases of options, and their choices", async () => {
  const f = fake();
  assertEquals(await complete(f, "contree session branch --"), [
    "--from ",
    "--delete ",
    "--rm ",
    "--prune ",
    "--help ",
  ]);
  assertEquals(await complete(f, "contree build --d"), ["--dockerfile "]);
  assertEquals(await complete(f, "contree ps --status E"), ["E ", "EXECUTING "]);
  assertEquals(await complete(f, "contree -f js"), ["json ", "json-pretty "]);
  // Only -f/--format before the command inside the shell.
  assertEquals(await complete(f, "contree -"), ["-f ", "--format "]);
  assertEquals(await complete(f, "contree -f json ps -"), await complete(f, "contree ps -"));
  assertEquals(await complete(f, "contree agent se"), ["sessions "]);
  assertEquals(await complete(f, "-f t"), ["table ", "tsv ", "toml "]);
});

Deno.test("shell completion: images as tag:NAME and UUIDs (cached 60 s)", async () => {
  const f = fake();
  assertEquals(await complete(f, "contree use bu"), ["tag:busybox:latest "]);
  assertEquals(await complete(f, "contree use tag:u"), ["tag:ubuntu:noble "]);
  assertEquals(await complete(f, "contree use 3"), ["33333333-cccc "]);
  assertEquals(await complete(f, "contree run --use u"), ["tag:ubuntu:noble "]);
  assertEquals(await complete(f, "contree tag 1"), ["11111111-aaaa "]);
  assertEquals(f.calls, ["images"]);
  f.clock.now += IMAGES_TTL_MS - 1;
  await complete(f, "contree use ");
  assertEquals(f.calls, ["images"]);
  f.clock.now += 1;
  await complete(f, "contree use ");
  assertEquals(f.calls, ["images", "images"]);
  f.completer.invalidate();
  await complete(f, "contree use ");
  assertEquals(f.calls, ["images", "images", "images"]);
});

Deno.test("shell completion: operations (cached 5 s), branches, sessions, profiles, env keys", async () => {
  const f = fake();
  assertEquals(await complete(f, "contree show op-1"), ["op-1111 "]);
  assertEquals(await complete(f, "contree op wait -a op-"), ["op-1111 ", "op-2222 "]);
  assertEquals(await complete(f, "contree kill "), ["op-1111 ", "op-2222 "]);
  assertEquals(f.calls, ["operations"]);
  f.clock.now += OPERATIONS_TTL_MS;
  await complete(f, "contree session wait ");
  assertEquals(f.calls, ["operations", "operations"]);
  assertEquals(await complete(f, "contree session checkout f"), ["feature "]);
  assertEquals(await complete(f, "contree session branch --from d"), ["detached-x "]);
  assertEquals(await complete(f, "contree session use p"), ["proj+1234abcd "]);
  assertEquals(await complete(f, "contree auth use l"), ["local "]);
  assertEquals(await complete(f, "contree env -U D"), ["DEBUG "]);
  assertEquals(await complete(f, "contree file edit -E n"), ["nvim ", "nano "]);
  assertEquals(await complete(f, "contree skill install cl"), [
    "claude:",
    "claude:~",
    "cline:",
    "cline:~",
    "claude-subagent:",
    "claude-subagent:~",
    "claude-agent:",
    "claude-agent:~",
  ]);
});

Deno.test("shell completion: sandbox paths, relative to the cwd, cached 30 s per directory", async () => {
  const f = fake({ cwd: "/work" });
  assertEquals(await complete(f, "cat /etc/p"), ["/etc/passwd ", "/etc/profile "]);
  assertEquals(await complete(f, "ls /etc/s"), ["/etc/ssl/"]);
  assertEquals(await complete(f, "cat no"), ["notes.txt "]);
  assertEquals(await complete(f, "cd "), ["src/"]);
  assertEquals(await complete(f, "cd ../"), ["../bin/", "../etc/"]);
  assertEquals(await complete(f, "vim ../i"), ["../init.sh "]);
  assertEquals(await complete(f, "contree cat /etc/pa"), ["/etc/passwd "]);
  assertEquals(await complete(f, "contree run -C /e"), ["/etc/"]);
  assertEquals(await complete(f, "contree run -- /etc/pa"), ["/etc/passwd "]);
  // A bare command: only path-like words.
  assertEquals(await complete(f, "grep root /etc/pa"), ["/etc/passwd "]);
  assertEquals(await complete(f, "grep ro"), []);
  assertEquals(f.calls, ["list img /etc/", "list img /work/", "list img /"]);
  f.clock.now += SANDBOX_TTL_MS;
  await complete(f, "cat /etc/");
  assertEquals(f.calls.length, 4);
  // No session, no sandbox: nothing, and no request.
  const none = fake({ image: undefined });
  assertEquals(await complete(none, "cat /etc/"), []);
  assertEquals(none.calls, []);
});

Deno.test("shell completion: host paths for host arguments", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/ctx`);
    await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM x\n");
    const f = fake({ hostCwd: dir });
    assertEquals(await complete(f, "contree build c"), ["ctx/"]);
    assertEquals(await complete(f, "contree build -f D"), ["Dockerfile "]);
    assertEquals(await complete(f, `contree file cp ${dir}/D`), [`${dir}/Dockerfile `]);
    assertEquals(await complete(f, "contree cp /etc/passwd ./c"), ["./ctx/"]);
    assertEquals(await complete(f, "contree build ~"), ["~/"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shell completion: names the shell would split come escaped; an escaped word completes", async () => {
  const f = fake();
  // Were inserted raw: `cat /dd/a b.txt` read two words, `it's` opened a quote.
  assertEquals(await complete(f, "cat /dd/a"), ["/dd/a\\ b.txt "]);
  assertEquals(await complete(f, "cat /dd/i"), ["/dd/it\\'s "]);
  assertEquals(await complete(f, "cd /dd/漢"), ["/dd/漢字/"]);
  // What was typed with a backslash is replaced as typed (it offered nothing).
  assertEquals(await complete(f, "cat /dd/a\\ "), ["/dd/a\\ b.txt "]);
  assertEquals(await complete(f, "cat /dd/it\\'"), ["/dd/it\\'s "]);
  // Two names that part at an escaped character: their common prefix would end in a lone
  // backslash (it was inserted); the word without it holds readline's insertion back there.
  f.port.listSandbox = () =>
    Promise.resolve([{ path: "/ee/a b", is_dir: false }, { path: "/ee/a'q", is_dir: false }]);
  assertEquals(await complete(f, "cat /ee/a"), ["/ee/a\\ b ", "/ee/a\\'q ", "/ee/a"]);
});

Deno.test("shell completion: a failing source or a quoted word offers nothing", async () => {
  const f = fake();
  f.port.images = () => Promise.reject(new Error("unreachable"));
  assertEquals(await f.completer.complete("contree use b"), [[], "b"]);
  assertEquals(await f.completer.complete("cat '/etc/p"), [[], ""]);
});
