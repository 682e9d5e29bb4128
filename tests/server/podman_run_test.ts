// The local server running sandboxes on real podman: one server (concurrency 2) with the
// busybox image imported through file://, shared by the steps below.

import { request } from "node:http";
import { createGunzip } from "node:zlib";
import type { InstanceSpawnRequest, Operation, OperationEvent } from "../../src/api/models.ts";
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

async function run(s: TestServer, body: Partial<InstanceSpawnRequest>): Promise<Operation> {
  const { uuid } = await s.client.spawn({ image: s.busybox, command: "", ...body });
  return await waitOperation(s.client, uuid);
}

/** Starts a disposable `sh -c` run of the busybox image (not awaited). */
function spawnShell(s: TestServer, command: string): Promise<Operation> {
  return s.client.spawn({ image: s.busybox, command, shell: true, disposable: true });
}

/** Signals the main process of `uuid`, again while the answer is 425 (not running yet). */
async function signalOnceStarted(s: TestServer, uuid: string, signal: string): Promise<number> {
  for (;;) {
    const sent = await s.fetch(`/operations/${uuid}/subprocesses/1?signal=${signal}`, {
      method: "DELETE",
    });
    await sent.body?.cancel();
    if (sent.status !== 425) return sent.status;
  }
}

function output(op: Operation, stream: "stdout" | "stderr" = "stdout"): string {
  return decoder.decode(decodeStreamRepr(op.metadata?.result?.[stream]));
}

async function eventLog(s: TestServer, uuid: string): Promise<OperationEvent[]> {
  return parseEvents(await (await s.fetch(`/operations/${uuid}/events`)).text());
}

podmanTest("server on podman: runs, snapshots, limits, cancellation, streaming", async (t) => {
  const s = await startTestServer({ busybox: true, concurrency: 2 });
  try {
    await t.step("a run streams its output as events in order and ends SUCCESS", async () => {
      const { uuid } = await spawnShell(s, "echo out; echo err >&2; printf '\\377'; exit 7");
      await waitForEvent(s.client, uuid, (e) => e.type === "completion");
      // Read as soon as the completion frame arrived: the status is already terminal.
      const op = await s.client.getOperation(uuid);
      assertEquals(op.status, "SUCCESS");
      assertEquals(op.metadata?.result?.state?.exit_code, 7);
      assertEquals(output(op, "stderr"), "err\n");
      assertEquals(
        decodeStreamRepr(op.metadata?.result?.stdout),
        new Uint8Array([...new TextEncoder().encode("out\n"), 0xff]),
      );
      const events = await eventLog(s, op.uuid);
      assertEquals(events.map((e) => e.id), events.map((_, i) => i));
      const types = events.map((e) => e.type);
      assertEquals(types[0], "init");
      assertEquals(types[1], "spawn");
      assertEquals(types.slice(-3), ["exit", "shutdown", "completion"]);
      const exit = events.find((e) => e.type === "exit")!;
      assertEquals([exit.spid, exit.data.code, exit.data.timed_out], [1, 7, false]);
      const chunks = events.filter((e) => e.type === "stdout");
      const binary = chunks.find((e) => e.data.encoding === "base64");
      assert(binary, "non-ASCII output travels as base64");
      assertEquals(events.at(-1)!.data.status, "SUCCESS");
    });

    await t.step("successful runs are committed: a snapshot chain", async () => {
      const first = await run(s, { command: "echo one > /root/a", shell: true });
      assertEquals(first.status, "SUCCESS");
      assert(first.result_image_uuid && first.result_image_uuid !== s.busybox);
      const second = await run(s, {
        command: "echo two > /root/b; cat /root/a",
        shell: true,
        image: first.result_image_uuid,
      });
      assertEquals(output(second), "one\n");
      const third = await run(s, {
        command: "/bin/cat",
        args: ["/root/a", "/root/b"],
        image: second.result_image_uuid!,
        disposable: true,
      });
      assertEquals(output(third), "one\ntwo\n");
      const images = await s.client.listImages({});
      const made = images.find((i) => i.uuid === second.result_image_uuid);
      assertEquals(made?.operation_uuid, second.uuid);
      assert((second.image_size ?? 0) > 0);
    });

    await t.step("disposable runs change nothing and make no image", async () => {
      const before = (await s.client.listImages({})).length;
      const op = await run(s, { command: "echo x > /root/gone", shell: true, disposable: true });
      assertEquals(op.result_image_uuid, s.busybox);
      assertEquals((await s.client.listImages({})).length, before);
      const check = await run(s, {
        command: "test -e /root/gone && echo present || echo absent",
        shell: true,
        disposable: true,
      });
      assertEquals(output(check), "absent\n");
    });

    await t.step("stdin, env, cwd, uid/gid, hostname and no network", async () => {
      const op = await run(s, {
        command: "cat; echo $GREETING; pwd; id -u; id -g; hostname; ls /sys/class/net",
        shell: true,
        stdin: { value: "aW5wdXQK", encoding: "base64" },
        env: { GREETING: "hello" },
        cwd: "/work/dir",
        uid: 1234,
        gid: 99,
        hostname: "box",
        disposable: true,
      });
      assertEquals(output(op), "input\nhello\n/work/dir\n1234\n99\nbox\nlo\n");
      const events = await eventLog(s, op.uuid);
      assertEquals(events.find((e) => e.type === "stdin")?.data, {
        value: "input\n",
        encoding: "ascii",
      });
    });

    await t.step("a cwd that is a file: FAILED saying so, no process, no image", async () => {
      const op = await run(s, { command: "pwd", shell: true, cwd: "/etc/passwd" });
      // Was SUCCESS with exit 126, podman's words as the process's stderr, and a new image.
      assertEquals([op.status, op.error], [
        "FAILED",
        "the working directory /etc/passwd is not a directory",
      ]);
      assertEquals([op.result_image_uuid ?? null, op.metadata?.result], [null, undefined]);
    });

    await t.step("a cwd through links: resolved inside the image; a link loop FAILED", async () => {
      const links = await run(s, {
        command: "mkdir -p /d/e && ln -s /d /d/self && ln -s loop2 /loop1 && ln -s loop1 /loop2",
        shell: true,
      });
      assertEquals(links.status, "SUCCESS", links.error ?? "");
      const image = links.result_image_uuid!;
      // An absolute link: podman followed it on the host's side ("workdir /d/self/e does not
      // exist on container"), exit 126 as the run's, SUCCESS.
      const through = await run(s, { command: "pwd -P", shell: true, cwd: "/d/self/e", image });
      assertEquals(
        [through.status, output(through)],
        ["SUCCESS", "/d/e\n"],
        output(through, "stderr"),
      );
      // A loop: was SUCCESS with exit 126 and podman's words, a host path in them, as stderr.
      const loop = await run(s, { command: "pwd", shell: true, cwd: "/loop1", image });
      assertEquals([loop.status, loop.error], [
        "FAILED",
        "the working directory /loop1 has too many levels of symbolic links",
      ]);
      assertEquals(loop.metadata?.result, undefined, "no process ran");
    });

    await t.step("the environment of a run is not kept unless preserve_env", async () => {
      // Names a shell would not take were left in the image's config in clear.
      const odd = { "1_TOKEN": "digit-first", "A B_SECRET": "with-a-space" };
      const plain = await run(s, {
        command: "true",
        env: { LEAK: "1", API_TOKEN: "t", ...odd },
      });
      const spawn = (await eventLog(s, plain.uuid)).find((e) => e.type === "spawn")!;
      assertEquals(spawn.data.env, {
        LEAK: "1",
        API_TOKEN: "<MASKED>",
        "1_TOKEN": "<MASKED>",
        "A B_SECRET": "<MASKED>",
      });
      // A name the commit could not blank is refused at the request.
      for (const name of ["X$Y", 'Q"R', "a\nb", "back\\slash"]) {
        const refused = await s.fetch("/instances", {
          method: "POST",
          body: JSON.stringify({ image: s.busybox, command: "true", env: { [name]: "v" } }),
        });
        assertEquals(refused.status, 400, name);
        assertMatch((await refused.json()).error, /^invalid environment name: /);
      }
      const after = await run(s, {
        command: "echo ${LEAK-unset}",
        shell: true,
        image: plain.result_image_uuid!,
      });
      assertEquals(output(after), "unset\n");
      // Nor stored: not in the new image's config (podman commit kept it there, in clear, for
      // this image and every one after it), nor in its row.
      for (const uuid of [plain.result_image_uuid!, after.result_image_uuid!]) {
        const inspected = await new Deno.Command("podman", {
          args: [
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            `localhost/contree/${uuid}`,
          ],
          stdout: "piped",
        }).output();
        const config = new TextDecoder().decode(inspected.stdout);
        assert(config.includes("API_TOKEN=") && !config.includes("API_TOKEN=t"), config);
        assert(!config.includes("LEAK=1"), config);
        for (const value of Object.values(odd)) assert(!config.includes(value), config);
        const row = s.server.store.image(uuid)!;
        assert(!JSON.stringify(row).includes("LEAK=1"), JSON.stringify(row.config_env));
      }
      // Secret-looking values are stored masked, but runs (and preserved envs) get them clear.
      const kept = await run(s, {
        command: 'test "$API_TOKEN" = s3cret && echo seen',
        shell: true,
        env: { KEPT: "yes", API_TOKEN: "s3cret" },
        preserve_env: true,
        image: after.result_image_uuid!,
      });
      assertEquals(output(kept), "seen\n");
      assertEquals(kept.metadata?.env, { KEPT: "yes", API_TOKEN: "<MASKED>" });
      const check = await run(s, {
        command: "echo ${KEPT-unset} ${API_TOKEN-unset}",
        shell: true,
        image: kept.result_image_uuid!,
        disposable: true,
      });
      assertEquals(output(check), "yes s3cret\n");
      // A null value unsets (API spec §3.4), a preserved variable too (it was a 400).
      const unset = await run(s, {
        command: "echo ${KEPT-unset} ${NEVER-unset}",
        shell: true,
        image: kept.result_image_uuid!,
        env: { KEPT: null, NEVER: null },
        disposable: true,
      });
      assertEquals([unset.status, output(unset)], ["SUCCESS", "unset unset\n"]);
      assertEquals(unset.metadata?.env, { KEPT: null, NEVER: null });
    });

    await t.step("injected files land with their mode and owner", async () => {
      const file = await s.client.uploadFile(new TextEncoder().encode("line 1\nline 2\n"));
      const op = await run(s, {
        command: "stat -c '%a %u %g' /data/in/input.txt; wc -l < /data/in/input.txt",
        shell: true,
        files: { "/data/in/input.txt": { uuid: file.uuid, mode: "0640", uid: 1234, gid: 99 } },
        disposable: true,
      });
      assertEquals(output(op), "640 1234 99\n2\n");
    });

    await t.step(
      "a file injected where the image has a directory: FAILED, saying where",
      async () => {
        const file = await s.client.uploadFile(new TextEncoder().encode("x"));
        const op = await run(s, {
          command: "true",
          files: { "/etc": { uuid: file.uuid }, "/tmp/fine.txt": { uuid: file.uuid } },
        });
        assertEquals(op.status, "FAILED");
        assertEquals(
          op.error,
          "a file cannot be injected at /etc: the image has a directory there",
        );
        assert(!op.result_image_uuid, "no snapshot");
      },
    );

    await t.step(
      "a signal to the main process reaches its whole job, as a terminal's Ctrl-C",
      async () => {
        // SIGINT to the main process alone left its child shell and `sleep 30` running.
        const { uuid } = await s.client.spawn({
          image: s.busybox,
          command: "echo started; sh -c 'sleep 30; echo child-finished'",
          shell: true,
          disposable: true,
        });
        await waitForEvent(s.client, uuid, (e) => e.type === "stdout" && e.spid === 1);
        const sent = await s.fetch(`/operations/${uuid}/subprocesses/1?signal=INT`, {
          method: "DELETE",
        });
        assertEquals(sent.status, 204);
        const ended = await waitOperation(s.client, uuid);
        assertEquals(ended.metadata?.result?.state?.exit_code, -1);
        assertEquals(ended.metadata?.result?.state?.signal, 2);
        // Interrupted, not run to the end of its 30 s (it was: only PID 1 got the signal).
        const exit = (await eventLog(s, uuid)).find((e) => e.type === "exit" && e.spid === 1)!;
        assert(Number(exit.data.duration_ms) < 20_000, `ran ${exit.data.duration_ms} ms`);
        assertEquals([exit.data.code, exit.data.signal], [-1, 2]);
        assertEquals(output(ended), "started\n");
      },
    );

    await t.step(
      "a signal sent as the run starts waits for its process (425), then reaches the whole job",
      async () => {
        const { uuid } = await s.client.spawn({
          image: s.busybox,
          command: "sleep 30; echo not-reached",
          shell: true,
          disposable: true,
        });
        await waitForEvent(s.client, uuid, (e) => e.type === "spawn");
        // At once: podman may still be starting the container. It was sent to the init then,
        // which passed it to `sh` alone: `sleep 30` ran on, and so did the run.
        assertEquals(await signalOnceStarted(s, uuid, "INT"), 204);
        const ended = await waitOperation(s.client, uuid);
        const exit = (await eventLog(s, uuid)).find((e) => e.type === "exit" && e.spid === 1)!;
        assert(Number(exit.data.duration_ms) < 20_000, `ran ${exit.data.duration_ms} ms`);
        assertEquals(output(ended), "");
      },
    );

    await t.step(
      "a command without signal handlers stops on TERM and INT: it is not PID 1",
      async () => {
        // `sleep` was the container's PID 1, which the kernel shields from every signal it has
        // no handler for: 204, and the run went on to its end.
        for (const [name, number] of [["TERM", 15], ["INT", 2]] as const) {
          const { uuid } = await s.client.spawn({
            image: s.busybox,
            command: "sleep",
            args: ["30"],
            disposable: true,
          });
          await waitForEvent(s.client, uuid, (e) => e.type === "spawn");
          assertEquals(await signalOnceStarted(s, uuid, name), 204);
          const ended = await waitOperation(s.client, uuid);
          const exit = (await eventLog(s, uuid)).find((e) => e.type === "exit" && e.spid === 1)!;
          assertEquals([exit.data.code, exit.data.signal], [-1, number], name);
          assert(
            Number(exit.data.duration_ms) < 20_000,
            `${name}: ran ${exit.data.duration_ms} ms`,
          );
          assertEquals(ended.metadata?.result?.state?.signal, number);
        }
      },
    );

    await t.step("a command that is not there exits 127, one that cannot run 126", async () => {
      const missing = await run(s, { command: "no-such-command", disposable: true });
      assertEquals(missing.status, "SUCCESS");
      assertEquals(missing.metadata?.result?.state?.exit_code, 127);
      const notExecutable = await run(s, { command: "/etc/passwd", disposable: true });
      assertEquals(notExecutable.metadata?.result?.state?.exit_code, 126);
    });

    await t.step("a timeout kills the run: FAILED, timed_out", async () => {
      const op = await run(s, { command: "sleep", args: ["30"], timeout: 1, disposable: true });
      assertEquals(op.status, "FAILED");
      assertMatch(op.error!, /timed out after 1s/);
      assertEquals(op.metadata?.result?.state?.timed_out, true);
      const exit = (await eventLog(s, op.uuid)).find((e) => e.type === "exit")!;
      assertEquals([exit.data.timed_out, exit.data.signal], [true, 9]);
    });

    await t.step("output beyond truncate_output_at is dropped with a truncated event", async () => {
      const op = await run(s, {
        command: "head -c 5000 /dev/zero | tr '\\0' a",
        shell: true,
        truncate_output_at: 1000,
        disposable: true,
      });
      assertEquals(output(op), "a".repeat(1000));
      assertEquals(op.metadata?.result?.stdout?.truncated, true);
      const events = await eventLog(s, op.uuid);
      const truncated = events.find((e) => e.type === "truncated")!;
      assertEquals(truncated.data, { stream: "stdout", bytes_emitted: 1000, bytes_dropped: 4000 });
      assert(events.indexOf(truncated) < events.findIndex((e) => e.type === "exit"));
    });

    await t.step(
      "truncate_output_at is clamped to the server's cap; output is kept on disk once",
      async () => {
        const cap = (await s.client.whoami()).limits?.instance_max_truncate_output_at as number;
        assertEquals(cap, 16 << 20);
        const spawned = await s.client.spawn({
          image: s.busybox,
          command: `head -c ${cap + 5000} /dev/zero | tr '\\0' b; echo done >&2`,
          shell: true,
          truncate_output_at: 10 ** 12,
          disposable: true,
        });
        assertEquals(spawned.truncate_output_at, cap);
        const op = await waitOperation(s.client, spawned.uuid);
        const events = await eventLog(s, op.uuid);
        assertEquals(events.find((e) => e.type === "spawn")?.data.truncate_at, cap);
        assertEquals(events.find((e) => e.type === "truncated")?.data, {
          stream: "stdout",
          bytes_emitted: cap,
          bytes_dropped: 5000,
        });
        assertEquals(output(op).length, cap);
        assertEquals(output(op, "stderr"), "done\n");
        // The bytes live in the output file once; the database holds references.
        const dir = `${s.dataDir}/outputs/${op.uuid.slice(0, 2)}`;
        assertEquals((await Deno.stat(`${dir}/${op.uuid}.1.stdout`)).size, cap);
        const rows = s.server.store.events(op.uuid, -1, 1000);
        assert(rows.every((row) => row.json.length < 4096), "no output bytes in the database");
      },
    );

    await t.step("queueing, 425 before the log exists, cancel, and 409 after the end", async () => {
      const sleepers = await Promise.all(
        [1, 2].map(() => s.client.spawn({ image: s.busybox, command: "sleep", args: ["30"] })),
      );
      for (const { uuid } of sleepers) {
        await waitForEvent(s.client, uuid, (e) => e.type === "spawn");
      }
      const queued = await s.client.spawn({ image: s.busybox, command: "true" });
      assertEquals((await s.client.getOperation(queued.uuid)).status, "PENDING");
      const early = await s.fetch(`/operations/${queued.uuid}/events?follow=1`);
      assertEquals(early.status, 425);
      assertEquals(early.headers.get("retry-after"), "1");
      assertEquals((await early.json()).status, 425);
      // A signal to its process: not yet, as its stdin would (was a final-looking 404).
      const signalled = await s.fetch(`/operations/${queued.uuid}/subprocesses/1?signal=INT`, {
        method: "DELETE",
      });
      assertEquals([signalled.status, signalled.headers.get("retry-after")], [425, "1"]);
      await signalled.body?.cancel();
      assertEquals((await s.fetch(`/operations/${queued.uuid}`, { method: "DELETE" })).status, 202);
      const cancelledQueued = await waitOperation(s.client, queued.uuid);
      assertEquals(cancelledQueued.status, "CANCELLED");
      assertEquals(cancelledQueued.duration, 0); // it never ran (was its time in the queue)
      for (const { uuid } of sleepers) {
        assertEquals((await s.fetch(`/operations/${uuid}`, { method: "DELETE" })).status, 202);
        const op = await waitOperation(s.client, uuid);
        assertEquals(op.status, "CANCELLED");
        assertEquals([op.result_image_uuid, op.result?.image], [undefined, null]);
        const events = await eventLog(s, uuid);
        assertEquals(events.at(-1)!.data.status, "CANCELLED");
        assertEquals((await s.fetch(`/operations/${uuid}`, { method: "DELETE" })).status, 409);
      }
    });

    await t.step(
      "a live frame is decodable from the gzip stream before the next is sent",
      async () => {
        const { uuid } = await spawnShell(s, "echo first; sleep 30; echo second");
        await waitForEvent(s.client, uuid, (e) => e.type === "spawn");
        // node:http does not inflate: the raw gzip bytes go through an incremental gunzip.
        const first = await new Promise<string>((resolve, reject) => {
          const req = request(`${s.url}/v1/operations/${uuid}/events?follow=1`, {
            headers: { Authorization: `Bearer ${s.token}`, "Accept-Encoding": "gzip" },
          }, (res) => {
            assertEquals(res.headers["content-encoding"], "gzip");
            const gunzip = createGunzip();
            let text = "";
            gunzip.on("data", (chunk: Uint8Array) => {
              text += decoder.decode(chunk);
              if (text.includes('"value":"first\\n"')) {
                req.destroy();
                resolve(text);
              }
            });
            res.pipe(gunzip);
          });
          req.on(
            "error",
            (error) => (error as { code?: string }).code === "ECONNRESET" ? 0 : reject(error),
          );
          req.end();
        });
        // The process is still sleeping: "second" has not been produced, yet "first" decoded.
        assertEquals((await s.client.getOperation(uuid)).status, "EXECUTING");
        assert(!first.includes('"value":"second'));
        await s.client.cancelOperation(uuid);
        assertEquals((await waitOperation(s.client, uuid)).status, "CANCELLED");
      },
    );

    await t.step("a dropped follower resumes with Last-Event-Id: no gap, no repeat", async () => {
      const { uuid } = await spawnShell(s, "for i in 1 2 3; do echo line $i; sleep 0.2; done");
      const seen = await waitForEvent(s.client, uuid, (e) => e.type === "stdout");
      // The connection above was dropped after the first stdout frame; resume after it.
      const rest = parseEvents(
        await (await s.fetch(`/operations/${uuid}/events?follow=1`, {
          headers: { "Last-Event-Id": String(seen.id) },
        })).text(),
      );
      assertEquals(rest[0].id, seen.id + 1);
      assertEquals(rest.at(-1)!.type, "completion");
      const full = await eventLog(s, uuid);
      assertEquals([...full.slice(0, seen.id + 1), ...rest], full);
      const text = [seen, ...rest].filter((e) => e.type === "stdout")
        .map((e) => decoder.decode(decodeStreamRepr(e.data))).join("");
      assertEquals(text, "line 1\nline 2\nline 3\n");
    });

    await t.step("fifty followers of one run receive identical bytes", async () => {
      const { uuid } = await spawnShell(s, "for i in 1 2 3 4 5; do echo tick $i; sleep 0.1; done");
      await waitForEvent(s.client, uuid, (e) => e.type === "init");
      const bodies = await Promise.all(
        Array.from(
          { length: 50 },
          async () => await (await s.fetch(`/operations/${uuid}/events?follow=1`)).text(),
        ),
      );
      for (const body of bodies) assertEquals(body, bodies[0]);
      assertEquals(parseEvents(bodies[0]).at(-1)!.type, "completion");
      assertEquals(parseEvents(bodies[0]).filter((e) => e.type === "stdout").length > 0, true);
    });
  } finally {
    await s.cleanup();
  }
});

podmanTest("server on podman: files put into a run leave nothing in podman's TMPDIR", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "contree-podman-tmp-" });
  const s = await startTestServer({ busybox: true, podmanEnv: { TMPDIR: tmp } });
  try {
    const file = await s.client.uploadFile(new TextEncoder().encode("injected\n"));
    const op = await waitOperation(
      s.client,
      (await s.client.spawn({
        image: s.busybox,
        command: "cat",
        args: ["/root/f"],
        files: { "/root/f": { uuid: file.uuid } },
        disposable: true,
      })).uuid,
    );
    assertEquals(op.metadata?.result?.stdout?.value, "injected\n", op.error ?? "");
    // Was: podman cp - (4.3) left a copy of its input there after every run with files.
    assertEquals([...Deno.readDirSync(tmp)], []);
    assertEquals([...Deno.readDirSync(`${s.dataDir}/tmp`)], []);
  } finally {
    await s.cleanup();
    await Deno.remove(tmp, { recursive: true });
  }
});

podmanTest(
  "server on podman: secret-looking env values never reach podman's command line",
  async () => {
    // podman's argv is every local user's to read (ps): a wrapper logs each argument it is given.
    const dir = await Deno.makeTempDir({ prefix: "contree-podman-argv-" });
    const real = new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "command -v podman"], stdout: "piped" })
        .output())
        .stdout,
    ).trim();
    await Deno.writeTextFile(
      `${dir}/podman`,
      `#!/bin/sh\nprintf '%s\\n' "$@" >> "${dir}/argv"\nexec ${real} "$@"\n`,
      { mode: 0o755 },
    );
    const s = await startTestServer({ busybox: true, podmanBinary: `${dir}/podman` });
    const secret = "s3cret value\nwith a newline";
    try {
      // Created and started (with a file), and run at once (without): both get the value.
      const file = await s.client.uploadFile(new TextEncoder().encode("f"));
      for (const files of [{ "/root/f": { uuid: file.uuid } }, undefined]) {
        const op = await run(s, {
          command: 'printf %s "$API_TOKEN"',
          shell: true,
          env: { API_TOKEN: secret, PLAIN: "shown" },
          disposable: true,
          ...(files ? { files } : {}),
        });
        assertEquals(output(op), secret, JSON.stringify(op.metadata?.result));
      }
      // A subprocess (podman exec) too.
      const { uuid } = await spawnShell(s, "echo up; exec sleep 30");
      await waitForEvent(s.client, uuid, (e) => e.type === "stdout" && e.spid === 1);
      const sub = await s.fetch(`/operations/${uuid}/subprocesses`, {
        method: "POST",
        body: JSON.stringify({
          command: 'printf %s "$DB_PASSWORD"',
          shell: true,
          env: { DB_PASSWORD: secret },
        }),
      });
      const answer = await sub.json();
      assertEquals(sub.status, 201, JSON.stringify(answer));
      const { spid } = answer;
      const said = await waitForEvent(
        s.client,
        uuid,
        (e) => e.type === "stdout" && e.spid === spid,
      );
      assertEquals(decoder.decode(decodeStreamRepr(said.data as never)), secret);
      await s.client.cancelOperation(uuid);
      const argv = await Deno.readTextFile(`${dir}/argv`);
      assert(
        !argv.includes("s3cret"),
        argv.split("\n").filter((l) => l.includes("s3cret")).join("|"),
      );
      assert(argv.includes("--env\nAPI_TOKEN\n") && argv.includes("--env\nDB_PASSWORD\n"), argv);
      assert(argv.includes("--env\nPLAIN=shown\n"), "other values stay flags");
    } finally {
      await s.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
