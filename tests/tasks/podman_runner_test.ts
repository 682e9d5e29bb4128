// The real runner's mechanics against a stand-in executable: argv passed verbatim, stdin and
// env, output to a file in write order, timeouts, a missing binary, aborts.

import { Interrupted } from "../../src/errors.ts";
import {
  batchStates,
  CommandPodmanRunner,
  ContainerQueryFailed,
  describePodmanFailure,
  PodmanNotFound,
  PodmanTimeout,
  probeState,
} from "../../src/tasks/podman.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";

const STUB = `#!/bin/sh
case "$1" in
  args) for a in "$@"; do printf '<%s>\\n' "$a"; done ;;
  stdin) cat ;;
  env) printf '%s\\n' "$STUB_VALUE" ;;
  fail) echo "some noise" >&2; echo "Error: it broke" >&2; exit 125 ;;
  mixed) i=0; while [ $i -lt 200 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done ;;
  slow) exec sleep 30 ;;
  inspect) echo "Running" ;;
  ps) if [ "$STUB_PS" = bad ]; then echo 'not json'; elif [ "$STUB_PS" = empty ]; then :; else
        echo '[{"Names":["p-cli-k3v8h"],"State":"Exited"},{"Names":["p-run-k3v8h"],"State":"running"}]'
      fi ;;
esac
`;

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
      (await runner.run(["stdin"], { timeoutMs: 10_000, stdin: "piped in" })).stdout,
      "piped in",
    );
    assertEquals((await runner.run(["env"], { timeoutMs: 10_000 })).stdout, "from env\n");
    const failed = await runner.run(["fail"], { timeoutMs: 10_000 });
    assertEquals(failed.code, 125);
    assertEquals(
      describePodmanFailure(["fail"], failed),
      "podman fail failed (exit 125): it broke",
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

Deno.test("a missing binary is one clear error", async () => {
  const runner = new CommandPodmanRunner({ binary: "/nonexistent/podman" });
  await assertRejects(
    () => runner.run(["ps"], { timeoutMs: 1000 }),
    PodmanNotFound,
    "/nonexistent/podman not found; please install podman",
  );
  await assertRejects(() => runner.interactive(["exec"]), PodmanNotFound);
  await assertRejects(
    () => runner.run(["logs"], { timeoutMs: 1000, stdout: { file: "/dev/null" } }),
    PodmanNotFound,
  );
  // A probe reads "no podman" as "no container"; a batch query must not.
  assertEquals(await probeState(runner, "x"), null);
  await assertRejects(() => batchStates(runner, "l=v"), ContainerQueryFailed, "podman not found");
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
