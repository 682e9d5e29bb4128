// Subprocesses inside a running instance on real podman (API spec §3.6): exec with env, cwd and
// identity; the folded result while running and after; stdin kept open and closed; signals to
// the right process; 409 outside ASSIGNED/EXECUTING; their events in the operation's log under
// their own spid, all before the completion.

import type { OperationEvent } from "../../src/api/models.ts";
import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { podmanTest } from "../support/podman.ts";
import {
  parseEvents,
  startTestServer,
  type TestServer,
  waitForEvent,
  waitOperation,
} from "../support/server.ts";

const decoder = new TextDecoder();

function text(repr: unknown): string {
  return decoder.decode(decodeStreamRepr(repr));
}

async function post(s: TestServer, path: string, body: unknown): Promise<Response> {
  return await s.fetch(path, { method: "POST", body: JSON.stringify(body) });
}

/** Starts a subprocess; its spid. */
async function exec(s: TestServer, op: string, body: Record<string, unknown>): Promise<number> {
  const response = await post(s, `/operations/${op}/subprocesses`, body);
  const json = await response.json();
  assertEquals(response.status, 201, JSON.stringify(json));
  assertEquals(response.headers.get("location"), `/v1/operations/${op}/subprocesses/${json.spid}`);
  return json.spid;
}

async function exited(s: TestServer, op: string, spid: number): Promise<OperationEvent> {
  return await waitForEvent(s.client, op, (e) => e.type === "exit" && e.spid === spid);
}

async function result(s: TestServer, op: string, spid: number) {
  const response = await s.fetch(`/operations/${op}/subprocesses/${spid}`);
  assertEquals(response.status, 200);
  return await response.json();
}

/**
 * A running instance (its main process sleeps), once its container runs: the main process has
 * written a line. (Between EXECUTING and that, exec answers 425 + Retry-After.)
 */
async function instance(s: TestServer): Promise<string> {
  const { uuid } = await s.client.spawn({
    image: s.busybox,
    command: "echo up; exec sleep 60",
    shell: true,
    disposable: true,
    env: { FROM_MAIN: "main" },
  });
  await waitForEvent(s.client, uuid, (e) => e.type === "stdout" && e.spid === 1);
  return uuid;
}

podmanTest("server on podman: subprocesses inside a running instance", async (t) => {
  const s = await startTestServer({ busybox: true, concurrency: 1 });
  try {
    const op = await instance(s);

    await t.step("exec: output, exit code, env, cwd and identity", async () => {
      const spid = await exec(s, op, {
        command: 'echo "$FOO $FROM_MAIN"; pwd; id -u; id -g; echo err >&2; exit 3',
        shell: true,
        env: { FOO: "bar" },
        cwd: "/tmp",
        uid: 1234,
        gid: 99,
      });
      assertEquals(spid, 2);
      const exit = await exited(s, op, spid);
      assertEquals([exit.data.code, exit.data.signal], [3, -1]);
      const folded = await result(s, op, spid);
      assertEquals(text(folded.stdout), "bar main\n/tmp\n1234\n99\n");
      assertEquals(text(folded.stderr), "err\n");
      assertEquals([folded.state.exit_code, folded.state.signal], [3, -1]);
      assertEquals(folded.stdout.truncated, false);
      const second = await exec(s, op, { command: "/bin/echo", args: ["a b", "c"] });
      assertEquals(second, 3);
      await exited(s, op, second);
      assertEquals(text((await result(s, op, second)).stdout), "a b c\n");
    });

    await t.step("stdin kept open, written twice, closed", async () => {
      const spid = await exec(s, op, {
        command: "cat",
        stdin: { value: "Zmlyc3Qg", encoding: "base64", close: false },
      });
      const path = `/operations/${op}/subprocesses/${spid}/stdin`;
      assertEquals((await post(s, path, { value: "second " })).status, 204);
      assertEquals((await post(s, path, { value: "third", close: true })).status, 204);
      await exited(s, op, spid);
      assertEquals(text((await result(s, op, spid)).stdout), "first second third");
      const closed = await post(s, path, { value: "late" });
      assertEquals(closed.status, 409);
      assertMatch((await closed.json()).error, /stdin .* is not open/);
      const events = parseEvents(
        await (await s.fetch(`/operations/${op}/events?spid=${spid}`)).text(),
      );
      assertEquals(
        events.filter((e) => e.type === "stdin").map((e) => text(e.data)),
        ["first ", "second ", "third"],
      );
      assert(events.every((e) => e.spid === spid), "spid filter: only this process's events");
    });

    await t.step("running: exit code and signal −1; a signal reaches the process", async () => {
      const spid = await exec(s, op, { command: "echo ready; exec sleep 60", shell: true });
      // Once it has written, it runs (before that a signal may answer 425: retry later).
      await waitForEvent(s.client, op, (e) => e.type === "stdout" && e.spid === spid);
      const running = await result(s, op, spid);
      assertEquals([running.state.exit_code, running.state.signal], [-1, -1]);
      const response = await s.fetch(`/operations/${op}/subprocesses/${spid}?signal=TERM`, {
        method: "DELETE",
      });
      assertEquals(response.status, 204);
      const exit = await exited(s, op, spid);
      assertEquals([exit.data.code, exit.data.signal], [-1, 15]);
      const folded = await result(s, op, spid);
      assertEquals([folded.state.exit_code, folded.state.signal], [-1, 15]);
      const again = await s.fetch(`/operations/${op}/subprocesses/${spid}?signal=KILL`, {
        method: "DELETE",
      });
      assertEquals(again.status, 409);
      const bad = await s.fetch(`/operations/${op}/subprocesses/${spid}?signal=NOPE`, {
        method: "DELETE",
      });
      assertEquals(bad.status, 400);
    });

    await t.step("the signal goes to the subprocess, not to its children", async () => {
      const spid = await exec(s, op, {
        command: "trap 'echo bye; exit 4' TERM; echo ready; while true; do sleep 0.1; done",
        shell: true,
      });
      await waitForEvent(s.client, op, (e) => e.type === "stdout" && e.spid === spid);
      assertEquals(
        (await s.fetch(`/operations/${op}/subprocesses/${spid}?signal=TERM`, { method: "DELETE" }))
          .status,
        204,
      );
      const exit = await exited(s, op, spid);
      assertEquals([exit.data.code, exit.data.signal], [4, -1]);
      assertEquals(text((await result(s, op, spid)).stdout), "ready\nbye\n");
    });

    await t.step("unknown processes are 404; the main process is spid 1", async () => {
      assertEquals((await s.fetch(`/operations/${op}/subprocesses/99`)).status, 404);
      assertEquals((await s.fetch(`/operations/${op}/subprocesses/x`)).status, 404);
      const main = await result(s, op, 1);
      assertEquals([main.state.exit_code, main.state.signal], [-1, -1]);
      const stdin = await post(s, `/operations/${op}/subprocesses/1/stdin`, { value: "x" });
      assertEquals(stdin.status, 409);
    });

    await t.step("a queued instance refuses with 409; so does one that ended", async () => {
      const queued = await s.client.spawn({ image: s.busybox, command: "true", disposable: true });
      const early = await post(s, `/operations/${queued.uuid}/subprocesses`, { command: "true" });
      assertEquals(early.status, 409);
      assertMatch((await early.json()).error, /PENDING/);
      // A subprocess still running when the main process ends is killed and logged first.
      const spid = await exec(s, op, { command: "echo ready; exec sleep 60", shell: true });
      await waitForEvent(s.client, op, (e) => e.type === "stdout" && e.spid === spid);
      await s.client.cancelOperation(op);
      const ended = await waitOperation(s.client, op);
      assertEquals(ended.status, "CANCELLED");
      const events = parseEvents(await (await s.fetch(`/operations/${op}/events`)).text());
      const exit = events.find((e) => e.type === "exit" && e.spid === spid)!;
      assertEquals(exit.data.signal, 9, JSON.stringify(events.filter((e) => e.spid === spid)));
      assertEquals(events.at(-1)!.type, "completion");
      for (const e of events.filter((e) => (e.spid ?? 0) >= 2)) {
        assert(e.id < events.at(-1)!.id);
      }
      const late = await post(s, `/operations/${op}/subprocesses`, { command: "true" });
      assertEquals(late.status, 409);
      // The folded results stay readable after the end.
      assertEquals(text((await result(s, op, 2)).stdout), "bar main\n/tmp\n1234\n99\n");
      await waitOperation(s.client, queued.uuid);
      const imports = await s.client.listOperations({ kind: "image_import" });
      const notInstance = await post(s, `/operations/${imports[0].uuid}/subprocesses`, {
        command: "true",
      });
      assertEquals(notInstance.status, 409);
    });

    await t.step("the main process's stdin kept open (close: false), written, closed", async () => {
      // One run at a time: a blocker keeps this one queued first.
      const blocker = await s.client.spawn({
        image: s.busybox,
        command: "sleep 60",
        shell: true,
        disposable: true,
      });
      const { uuid } = await s.client.spawn({
        image: s.busybox,
        command: "cat",
        stdin: { value: "first ", close: false },
        disposable: true,
      });
      const path = `/operations/${uuid}/subprocesses/1/stdin`;
      const early = await post(s, path, { value: "too early" });
      assertEquals([early.status, early.headers.get("retry-after")], [425, "1"]);
      assertMatch((await early.json()).error, /has not started/);
      await s.client.cancelOperation(blocker.uuid);
      await waitForEvent(s.client, uuid, (e) => e.type === "spawn" && e.spid === 1);
      assertEquals(
        (await post(s, path, { value: "c2Vjb25kIA==", encoding: "base64" })).status,
        204,
      );
      assertEquals((await post(s, path, { value: "third", close: true })).status, 204);
      const done = await waitOperation(s.client, uuid);
      assertEquals(done.status, "SUCCESS");
      assertEquals(text(done.metadata?.result?.stdout), "first second third");
      const late = await post(s, path, { value: "late" });
      assertEquals(late.status, 409);
      assertMatch((await late.json()).error, /stdin .* is not open/);
      const events = parseEvents(await (await s.fetch(`/operations/${uuid}/events?spid=1`)).text());
      assertEquals(
        events.filter((e) => e.type === "stdin").map((e) => text(e.data)),
        ["first ", "second ", "third"],
      );
      // Without close: false the main process's stdin closes after its value, as before.
      const closed = await s.client.spawn({
        image: s.busybox,
        command: "cat",
        stdin: { value: "only" },
        disposable: true,
      });
      const ended = await waitOperation(s.client, closed.uuid);
      assertEquals(text(ended.metadata?.result?.stdout), "only");
    });
  } finally {
    await s.cleanup();
  }
});
