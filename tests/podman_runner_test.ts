// The real runner (src/podman.ts) against a stand-in executable: argv passed verbatim, stdin
// (bytes or a stream) and env, output to a file in write order, streaming spawns, timeouts and
// SIGTERM-then-SIGKILL, a missing binary, aborts; and the task layer's probes and failure texts
// on top of it.

import { ContreeError, Interrupted } from "../src/errors.ts";
import {
  CommandPodmanRunner,
  parsePodmanMessage,
  PodmanFailed,
  PodmanNotFound,
  PodmanTimeout,
  runChecked,
} from "../src/podman.ts";
import {
  batchStates,
  ContainerQueryFailed,
  describePodmanFailure,
  probeState,
} from "../src/tasks/podman.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./support/assert.ts";

const STUB = `#!/bin/sh
case "$1" in
  args) for a in "$@"; do printf '<%s>\\n' "$a"; done ;;
  stdin) cat ;;
  env) printf '%s\\n' "$STUB_VALUE" ;;
  fail) echo "some noise" >&2; echo "Error: it broke" >&2; exit 125 ;;
  mixed) i=0; while [ $i -lt 200 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done ;;
  slow) exec sleep 30 ;;
  stubborn) trap '' TERM; echo ready; while :; do sleep 0.2; done ;;
  --global) printf 'global %s, then %s\n' "$1" "$2" ;;
  inspect) echo "Running" ;;
  pwd) pwd ;;
  ps) if [ "$STUB_PS" = bad ]; then echo 'not json'; elif [ "$STUB_PS" = empty ]; then :; else
        echo '[{"Names":["p-cli-k3v8h"],"State":"Exited"},{"Names":["p-run-k3v8h"],"State":"running"}]'
      fi ;;
esac
`;

const bytes = (text: string) => new TextEncoder().encode(text);

async function withStub(fn: (binary: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const binary = `${dir}/podman`;
  await Deno.writeTextFile(binary, STUB, { mode: 0o755 });
  try {
    await fn(binary, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("argv reaches podman verbatim, with stdin and the given env", async () => {
  await withStub(async (binary) => {
    const runner = new CommandPodmanRunner({ binary, env: { STUB_VALUE: "from env" } });
    const tricky = ["args", "a b", "$HOME", "'q'", "; rm -rf /", ""];
    const result = await runner.run(tricky, { timeoutMs: 10_000 });
    assertEquals(result.stdout, tricky.map((a) => `<${a}>\n`).join(""));
    assertEquals(
      (await runner.run(["stdin"], { timeoutMs: 10_000, stdin: bytes("piped in") })).stdout,
      "piped in",
    );
    assertEquals((await runner.run(["env"], { timeoutMs: 10_000 })).stdout, "from env\n");
    const failed = await runner.run(["fail"], { timeoutMs: 10_000 });
    assertEquals(failed.code, 125);
    assertEquals(
      describePodmanFailure(["fail"], failed),
      "podman fail failed (exit 125): it broke",
    );
    // A command of a group is named by both words (was "podman image failed").
    assertEquals(
      describePodmanFailure(["image", "inspect", "x"], failed),
      "podman image inspect failed (exit 125): it broke",
    );
    assertEquals(
      describePodmanFailure(["image", "--help"], failed),
      "podman image failed (exit 125): it broke",
    );
  });
});

Deno.test("file output: stdout and stderr in the order podman wrote them", async () => {
  await withStub(async (binary, dir) => {
    const runner = new CommandPodmanRunner({ binary });
    const file = `${dir}/out.log`;
    await Deno.writeTextFile(file, "old content that must go\n");
    const result = await runner.run(["mixed"], { timeoutMs: 10_000, stdout: { file } });
    assertEquals(result, { code: 0, stdout: "", stderr: "" });
    const expected = Array.from({ length: 200 }, (_, i) => `o${i}\ne${i}\n`).join("");
    assertEquals(await Deno.readTextFile(file), expected);
    const failed = await runner.run(["fail"], { timeoutMs: 10_000, stdout: { file } });
    assertEquals(failed.code, 125);
    assertEquals(await Deno.readTextFile(file), "some noise\nError: it broke\n");
  });
});

Deno.test("spawn with files: stdout and stderr land in their own files; stdin; stop", async () => {
  await withStub(async (binary, dir) => {
    const runner = new CommandPodmanRunner({ binary });
    const files = { stdout: `${dir}/out`, stderr: `${dir}/err` };
    await Deno.writeTextFile(files.stdout, "old content that must go\n");
    const mixed = runner.spawn(["mixed"], { files });
    assertEquals(await mixed.exitCode, 0);
    assertEquals(await new Response(mixed.stdout).text(), "");
    const lines = (prefix: string) =>
      Array.from({ length: 200 }, (_, i) => `${prefix}${i}\n`).join("");
    assertEquals(await Deno.readTextFile(files.stdout), lines("o"));
    assertEquals(await Deno.readTextFile(files.stderr), lines("e"));
    assertEquals(((await Deno.stat(files.stderr)).mode ?? 0) & 0o777, 0o600, "a new file is 0600");
    const echoed = runner.spawn(["stdin"], { files, stdin: bytes("fed\n") });
    assertEquals(await echoed.exitCode, 0);
    assertEquals(await Deno.readTextFile(files.stdout), "fed\n");
    // A stop asked for before podman has even started is not lost.
    const slow = runner.spawn(["slow"], { files });
    slow.stop();
    assertEquals(await slow.exitCode, 143);
  });
});

Deno.test("timeouts kill podman and throw PodmanTimeout (piped and file output)", async () => {
  await withStub(async (binary, dir) => {
    const runner = new CommandPodmanRunner({ binary });
    const error = await assertRejects(
      () => runner.run(["slow"], { timeoutMs: 100 }),
      PodmanTimeout,
      "podman slow timed out after 0.1s",
    );
    assertEquals((error as PodmanTimeout).timeoutMs, 100);
    await assertRejects(
      () => runner.run(["slow"], { timeoutMs: 100, stdout: { file: `${dir}/f` } }),
      PodmanTimeout,
    );
  });
});

Deno.test("an abort kills podman and rejects with the signal's reason", async () => {
  await withStub(async (binary) => {
    const controller = new AbortController();
    const runner = new CommandPodmanRunner({ binary, signal: controller.signal });
    const pending = runner.run(["slow"], { timeoutMs: 60_000 });
    controller.abort(new Interrupted("SIGINT"));
    await assertRejects(() => pending, Interrupted);
  });
});

Deno.test("stdin as a stream, also with file output; global options before every command", async () => {
  await withStub(async (binary, dir) => {
    const runner = new CommandPodmanRunner({ binary });
    const stream = () => new Blob(["chunk one, ", "chunk two"]).stream();
    assertEquals(
      (await runner.run(["stdin"], { stdin: stream() })).stdout,
      "chunk one, chunk two",
    );
    const file = `${dir}/stdin.log`;
    await runner.run(["stdin"], { stdin: stream(), stdout: { file } });
    assertEquals(await Deno.readTextFile(file), "chunk one, chunk two");
    await runner.run(["stdin"], { stdin: bytes("bytes too"), stdout: { file } });
    assertEquals(await Deno.readTextFile(file), "bytes too");
    const global = new CommandPodmanRunner({ binary, globalArgs: ["--global"] });
    assertEquals((await global.run(["ps"])).stdout, "global --global, then ps\n");
  });
});

Deno.test("runChecked: trimmed stdout, or PodmanFailed quoting podman's Error line", async () => {
  await withStub(async (binary) => {
    const runner = new CommandPodmanRunner({ binary });
    assertEquals(await runChecked(runner, ["inspect"]), "Running");
    const error = await assertRejects(
      () => runChecked(runner, ["fail"]),
      PodmanFailed,
      "podman fail failed (exit 125): it broke",
    ) as PodmanFailed;
    assertEquals(
      [error.args, error.code, error.stderr, error.podmanMessage],
      [["fail"], 125, "some noise\nError: it broke\n", "it broke"],
    );
  });
});

Deno.test("parsePodmanMessage: the last Error line, with the reasons of a list", () => {
  assertEquals(parsePodmanMessage("noise\nError: it broke\n"), "it broke");
  assertEquals(parsePodmanMessage("just a line\n"), "just a line");
  assertEquals(
    parsePodmanMessage("Error: 2 errors occurred:\n\t* cannot overwrite x\n\t* and y\n\n"),
    "2 errors occurred: cannot overwrite x; and y",
  );
  // After words of podman's own (podman rm): the reason was dropped.
  assertEquals(
    parsePodmanMessage(
      "Error: removing container abc root filesystem: 1 error occurred:\n\t* unlinkat x: busy\n",
    ),
    "removing container abc root filesystem: 1 error occurred: unlinkat x: busy",
  );
});

Deno.test("parsePodmanMessage: Go's struct dumps are cut, a long reason keeps its end", () => {
  // podman cp's real answer for a directory copied onto a dangling symlink (podman 4.3).
  const copier =
    'Error: 1 error occurred:\n\t* copying to container: error during bulk transfer for copier.request{Request:"PUT", Root:"/", preservedRoot:"/var/lib/containers/storage/overlay/2ffef454d1c184aa1513f835994d8e066711aeaabe70ed6fe6557c649ac6d0f4/merged", rootPrefix:"/var/lib/containers/storage/overlay/2ffef454d1c184aa1513f835994d8e066711aeaabe70ed6fe6557c649ac6d0f4/merged", Directory:"/root", preservedDirectory:"/var/lib/containers/storage/overlay/2ffef454d1c184aa1513f835994d8e066711aeaabe70ed6fe6557c649ac6d0f4/merged/root", Globs:[]string{}, preservedGlobs:[]string{}, StatOptions:copier.StatOptions{CheckForArchives:false, Excludes:[]string(nil)}, GetOptions:copier.GetOptions{UIDMap:[]idtools.IDMap(nil), GIDMap:[]idtools.IDMap(nil), Excludes:[]string(nil), ExpandArchives:false, ChownDirs:(*idtools.IDPair)(nil), ChmodDirs:(*fs.FileMode)(nil), ChownFiles:(*idtools.IDPair)(nil), ChmodFiles:(*fs.FileMode)(nil), StripSetuidBit:false, StripSetgidBit:false, StripStickyBit:false, StripXattrs:false, KeepDirectoryNames:false, Rename:map[string]string(nil), NoDerefSymlinks:false, IgnoreUnreadable:false, NoCrossDevice:false}, PutOptions:copier.PutOptions{UIDMap:[]idtools.IDMap(nil), GIDMap:[]idtools.IDMap(nil), DefaultDirOwner:(*idtools.IDPair)(nil), DefaultDirMode:(*fs.FileMode)(nil), ChownDirs:(*idtools.IDPair)(0xc0002bfc10), ChmodDirs:(*fs.FileMode)(nil), ChownFiles:(*idtools.IDPair)(0xc0002bfc20), ChmodFiles:(*fs.FileMode)(nil), StripSetuidBit:false, StripSetgidBit:false, StripStickyBit:false, StripXattrs:false, IgnoreXattrErrors:false, IgnoreDevices:false, NoOverwriteDirNonDir:true, NoOverwriteNonDirDir:true, Rename:map[string]string(nil)}, MkdirOptions:copier.MkdirOptions{UIDMap:[]idtools.IDMap(nil), GIDMap:[]idtools.IDMap(nil), ChownNew:(*idtools.IDPair)(nil), ChmodNew:(*fs.FileMode)(nil)}, RemoveOptions:copier.RemoveOptions{All:false}}: copier: put: error creating "/root/newdir": mkdir /root/newdir: file exists\n';
  assertEquals(
    parsePodmanMessage(copier),
    "1 error occurred: copying to container: error during bulk transfer for copier.request{…}: " +
      'copier: put: error creating "/root/newdir": mkdir /root/newdir: file exists',
  );
  const long = parsePodmanMessage(`Error: ${"a".repeat(600)} the reason`);
  assertEquals(long.length, 500);
  assert(long.endsWith("a the reason"), long);
  // An unclosed brace is left as it is.
  assertEquals(parsePodmanMessage("Error: bad x.y{oops"), "bad x.y{oops");
});

Deno.test("spawn streams podman's output; stop is SIGTERM, then SIGKILL", async () => {
  await withStub(async (binary) => {
    const runner = new CommandPodmanRunner({ binary });
    const mixed = runner.spawn(["mixed"]);
    const [stdout, stderr] = await Promise.all([
      new Response(mixed.stdout).text(),
      new Response(mixed.stderr).text(),
    ]);
    assertEquals(await mixed.exitCode, 0);
    assertEquals(stdout, Array.from({ length: 200 }, (_, i) => `o${i}\n`).join(""));
    assertEquals(stderr, Array.from({ length: 200 }, (_, i) => `e${i}\n`).join(""));
    const piped = runner.spawn(["stdin"], { stdin: bytes("to the child") });
    assertEquals(await new Response(piped.stdout).text(), "to the child");
    await piped.stderr.cancel();
    assertEquals(await piped.exitCode, 0);

    // It ignores SIGTERM once it said "ready": only the SIGKILL after the grace period ends it.
    const stubborn = runner.spawn(["stubborn"]);
    const reader = stubborn.stdout.getReader();
    assertEquals(new TextDecoder().decode((await reader.read()).value), "ready\n");
    reader.releaseLock();
    stubborn.stop();
    await Promise.all([stubborn.stdout.cancel(), stubborn.stderr.cancel()]);
    assertEquals(await stubborn.exitCode, 137);

    const controller = new AbortController();
    const aborted = runner.spawn(["slow"], { signal: controller.signal });
    controller.abort();
    await Promise.all([aborted.stdout.cancel(), aborted.stderr.cancel()]);
    assertEquals(await aborted.exitCode, 143);
  });
});

Deno.test("a call's own signal stops that call and rejects with its reason", async () => {
  await withStub(async (binary) => {
    const runner = new CommandPodmanRunner({ binary });
    const controller = new AbortController();
    const pending = runner.run(["slow"], { signal: controller.signal });
    controller.abort(new Interrupted("SIGTERM"));
    await assertRejects(() => pending, Interrupted, "Terminated");
    assertEquals((await runner.run(["inspect"])).stdout, "Running\n");
  });
});

Deno.test("a missing binary is one clear error", async () => {
  const runner = new CommandPodmanRunner({ binary: "/nonexistent/podman" });
  await assertRejects(
    () => runner.run(["ps"], { timeoutMs: 1000 }),
    PodmanNotFound,
    "/nonexistent/podman not found; please install podman",
  );
  await assertRejects(() => runner.interactive(["exec"]), PodmanNotFound);
  assertThrows(() => runner.spawn(["run"]), PodmanNotFound);
  await assertRejects(
    () => runner.run(["logs"], { timeoutMs: 1000, stdout: { file: "/dev/null" } }),
    PodmanNotFound,
  );
  // A probe reads "no podman" as "no container"; a batch query must not.
  assertEquals(await probeState(runner, "x"), null);
  await assertRejects(() => batchStates(runner, "l=v"), ContainerQueryFailed, "podman not found");
});

Deno.test("a command line the kernel refuses is one clear error without the binary's path", async () => {
  await withStub(async (binary, dir) => {
    const runner = new CommandPodmanRunner({ binary });
    const long = ["args", "x".repeat(200_000)];
    for (
      const attempt of [
        () => runner.run(long, { timeoutMs: 1000 }),
        () => runner.run(long, { timeoutMs: 1000, stdout: { file: `${dir}/out` } }),
      ]
    ) {
      const error = await attempt().then(() => undefined, (e: Error) => e);
      assertEquals(
        error?.message,
        "Cannot run podman: its command line is longer than the kernel takes",
      );
    }
  });
});

Deno.test("podman's working directory: the runner's, or the call's (conmon writes oom there)", async () => {
  await withStub(async (binary, dir) => {
    await Deno.mkdir(`${dir}/server`);
    await Deno.mkdir(`${dir}/task`);
    const runner = new CommandPodmanRunner({ binary, cwd: `${dir}/server` });
    const real = (path: string) => Deno.realPathSync(path);
    assertEquals((await runner.run(["pwd"])).stdout.trim(), real(`${dir}/server`));
    assertEquals(
      (await runner.run(["pwd"], { cwd: `${dir}/task` })).stdout.trim(),
      real(`${dir}/task`),
    );
    await runner.run(["pwd"], { cwd: `${dir}/task`, stdout: { file: `${dir}/out` } });
    assertEquals((await Deno.readTextFile(`${dir}/out`)).trim(), real(`${dir}/task`));
    // A directory that is gone is said, not "podman not found" (the spawn fails with ENOENT).
    for (const stdout of ["piped", { file: `${dir}/out` }] as const) {
      await assertRejects(
        () => runner.run(["pwd"], { cwd: `${dir}/gone`, stdout }),
        ContreeError,
        `Cannot run podman in ${dir}/gone: the directory does not exist`,
      );
    }
  });
});

Deno.test("probe and batch parsing: lowercased states, names from Names[0]", async () => {
  await withStub(async (binary) => {
    const runner = new CommandPodmanRunner({ binary });
    assertEquals(await probeState(runner, "x"), "running");
    const states = await batchStates(runner, "l=v");
    assertEquals([...states], [["p-cli-k3v8h", "exited"], ["p-run-k3v8h", "running"]]);
    const none = new CommandPodmanRunner({ binary, env: { STUB_PS: "empty" } });
    assertEquals((await batchStates(none, "l=v")).size, 0);
    const garbled = new CommandPodmanRunner({ binary, env: { STUB_PS: "bad" } });
    await assertRejects(() => batchStates(garbled, "l=v"), ContainerQueryFailed, "not JSON");
  });
});

Deno.test("failure descriptions say the common cases plainly", () => {
  const r = (stderr: string) => ({ code: 125, stdout: "", stderr });
  assertEquals(
    describePodmanFailure(
      ["rm"],
      r('Error: no container with name or ID "x" found: no such container'),
    ),
    "no such container",
  );
  assertEquals(
    describePodmanFailure(["run"], r("Trying to pull…\nError: localhost/x: image not known\n")),
    "image not found locally (localhost/x: image not known); pull or build it first",
  );
  assertEquals(describePodmanFailure(["stop"], r("")), "podman stop failed (exit 125)");
});
