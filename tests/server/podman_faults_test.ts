// Faults on real podman (issue 16): podman failing or stalling at each step (a wrapper executable
// stands in for podman, see tests/support/podman_wrapper.ts), cancels in every phase, and crashes
// of the server (`kill -9` of its own process) during a run, an upload and a commit.

import type { Operation } from "../../src/api/models.ts";
import { decodeStreamRepr } from "../../src/api/stream_repr.ts";
import { RESTARTED_ERROR } from "../../src/server/operations.ts";
import { Store } from "../../src/server/store.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { podmanTest, testPodman } from "../support/podman.ts";
import { podmanWrapper } from "../support/podman_wrapper.ts";
import {
  busyboxRootfsFile,
  parseEvents,
  removePodmanObjects,
  startTestServer,
  type TestServer,
  waitForEvent,
  waitOperation,
} from "../support/server.ts";
import { startServerProcess } from "../support/server_process.ts";

const enc = (text: string) => new TextEncoder().encode(text);

/** IDs of the containers and images podman has with `label`. */
async function labelled(label: string): Promise<{ containers: string[]; images: string[] }> {
  const list = async (args: string[]) =>
    (await testPodman.run([...args, "--filter", `label=${label}`])).stdout.split("\n")
      .filter(Boolean);
  return { containers: await list(["ps", "-aq"]), images: await list(["images", "-q"]) };
}

async function leftovers(opUuid: string) {
  return await labelled(`contree.op=${opUuid}`);
}

/** Whether podman counts a mount of the image (by its ConTree UUID). */
async function isMounted(imageUuid: string): Promise<boolean> {
  const id = (await testPodman.run([
    "images",
    "--noheading",
    "--no-trunc",
    "--filter",
    `label=contree.uuid=${imageUuid}`,
    "--format",
    "{{.ID}}",
  ])).stdout.trim().replace(/^sha256:/, "");
  const mounted = (await testPodman.run(["image", "mount", "--format", "json"])).stdout;
  return (JSON.parse(mounted || "[]") as { id: string }[]).some((image) => image.id === id);
}

/**
 * Spawn bodies that reach each podman step: files make the server create, copy and start;
 * without them a run is one `podman run` (then commit and image inspect).
 */
async function stepCases(s: TestServer, verbs: string[]): Promise<[string, object][]> {
  const file = await s.client.uploadFile(new TextEncoder().encode("injected\n"));
  const withFiles = { files: { "/root/f": { uuid: file.uuid } } };
  return verbs.map((verb) => [verb, ["create", "cp", "start"].includes(verb) ? withFiles : {}]);
}

podmanTest(
  "faults: podman failing at each step ends the operation FAILED with its message",
  async () => {
    const wrapper = await podmanWrapper();
    let s: TestServer | undefined = await startTestServer({
      busybox: true,
      podmanBinary: wrapper.binary,
    });
    const dataDir = s.dataDir;
    const ops: { verb: string; op: Operation }[] = [];
    try {
      const cases = await stepCases(s, ["create", "cp", "start", "run", "commit", "image inspect"]);
      for (const [verb, body] of cases) {
        await wrapper.fault(`fail ${verb}`);
        const { uuid } = await s.client.spawn({
          image: s.busybox,
          command: "echo ran > /root/out",
          shell: true,
          ...body,
        });
        const op = await waitOperation(s.client, uuid);
        assertEquals(op.status, "FAILED", `${verb}: ${op.status} ${op.error}`);
        assertStringIncludes(op.error ?? "", `injected failure at ${verb}`, verb);
        ops.push({ verb, op });
        await s.server.settle(); // its container is removed before the next fault is set
      }
      // The OCI runtime cannot start the container (podman exits 126, as for a command that
      // cannot be run, but says so): no process ran, so no snapshot and no exit code 126.
      await wrapper.fault("oci run");
      const oci = await waitOperation(
        s.client,
        (await s.client.spawn({ image: s.busybox, command: "true", disposable: true })).uuid,
      );
      assertEquals(oci.status, "FAILED", oci.error ?? "");
      assertStringIncludes(oci.error ?? "", "error during container init");
      await s.server.settle();
      // rm fails after the outcome is recorded: the run and its snapshot stand; the container
      // is removed by the next start-up (docs/SERVER.md).
      // rm says the shm mount was busy but removed the container (conmon's cleanup raced it):
      // nothing is left, so nothing to warn of.
      await wrapper.fault("busy rm");
      const raced = await waitOperation(
        s.client,
        (await s.client.spawn({
          image: s.busybox,
          command: "true",
          disposable: true,
          ...cases[0][1],
        }))
          .uuid,
      );
      assertEquals(raced.status, "SUCCESS", raced.error ?? "");
      await s.server.settle();
      assertEquals(await leftovers(raced.uuid), { containers: [], images: [] });
      // Was: "could not remove contree-op-…: … device or resource busy" for a run in three.
      assertEquals(s.log.text().match(/could not remove.*/g), null);
      await wrapper.fault("fail rm");
      const kept = await waitOperation(
        s.client,
        (await s.client.spawn({ image: s.busybox, command: "true" })).uuid,
      );
      assertEquals(kept.status, "SUCCESS", kept.error ?? "");
      await s.stop(); // waits for the container removals
      assertStringIncludes(s.log.text(), "could not remove");
      assertEquals((await leftovers(kept.uuid)).containers.length, 1, "rm failed: it is left");
      for (const { verb, op } of ops) {
        assertEquals(await leftovers(op.uuid), { containers: [], images: [] }, verb);
      }
      await wrapper.fault(undefined);
      s = await startTestServer({ dataDir, token: s.token, podmanBinary: wrapper.binary });
      assertEquals((await leftovers(kept.uuid)).containers, [], "removed at start-up");
      assertEquals((await leftovers(kept.uuid)).images.length, 1, "its snapshot is kept");
      assertEquals((await s.client.getOperation(kept.uuid)).status, "SUCCESS");
    } finally {
      await s?.cleanup();
      await wrapper.remove();
    }
  },
);

podmanTest("faults: a cancel in any phase ends CANCELLED and leaves nothing", async () => {
  const wrapper = await podmanWrapper();
  const s = await startTestServer({ busybox: true, podmanBinary: wrapper.binary });
  const ops: { verb: string; op: Operation }[] = [];
  try {
    const cases = await stepCases(s, ["create", "cp", "commit", "image inspect"]);
    for (const [verb, body] of cases) {
      await wrapper.fault(`stall ${verb}`, 30);
      const { uuid } = await s.client.spawn({
        image: s.busybox,
        command: "echo ran > /root/out",
        shell: true,
        ...body,
      });
      await wrapper.appears("stalled");
      assertEquals((await s.fetch(`/operations/${uuid}`, { method: "DELETE" })).status, 202);
      const op = await waitOperation(s.client, uuid);
      assertEquals(op.status, "CANCELLED", `${verb}: ${op.status} ${op.error}`);
      ops.push({ verb, op });
    }
    // While the process runs.
    await wrapper.fault(undefined);
    const { uuid } = await s.client.spawn({ image: s.busybox, command: "sleep", args: ["600"] });
    await waitForEvent(s.client, uuid, (event) => event.type === "spawn");
    assertEquals((await s.fetch(`/operations/${uuid}`, { method: "DELETE" })).status, 202);
    const running = await waitOperation(s.client, uuid);
    assertEquals(running.status, "CANCELLED");
    ops.push({ verb: "running", op: running });
    await s.stop();
    for (const { verb, op } of ops) {
      assertEquals(await leftovers(op.uuid), { containers: [], images: [] }, verb);
    }
  } finally {
    await s.cleanup();
    await wrapper.remove();
  }
});

/** `promise`, or a failure saying `what` once `ms` have passed without it (a hang, not a time). */
async function before<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

podmanTest("a disposable run ends with its process, before podman returns", async () => {
  const wrapper = await podmanWrapper();
  const s = await startTestServer({ busybox: true, podmanBinary: wrapper.binary });
  const exists = (name: string) =>
    Deno.stat(`${wrapper.dir}/${name}`).then(() => true, () => false);
  try {
    // podman returns only when released: its cleanup after the exit (~50 ms) stands there.
    await wrapper.fault("linger run");
    const disposable = await s.client.spawn({
      image: s.busybox,
      command: "echo out; echo err >&2; exit 3",
      shell: true,
      disposable: true,
    });
    const ended = await before(
      waitOperation(s.client, disposable.uuid),
      60_000,
      "the disposable run waited for podman to return",
    );
    assertEquals(ended.status, "SUCCESS", ended.error ?? "");
    assertEquals(ended.metadata?.result?.state?.exit_code, 3);
    assertEquals(decodeStreamRepr(ended.metadata?.result?.stdout), enc("out\n"));
    assertEquals(decodeStreamRepr(ended.metadata?.result?.stderr), enc("err\n"));
    assertEquals(await exists("done"), false, "podman has not returned yet");
    await wrapper.release();
    await s.server.settle(); // waits for that podman
    assertEquals(await exists("done"), true);
    assertEquals(await leftovers(disposable.uuid), { containers: [], images: [] });

    // Where podman has the word, the run waits for it: a run to commit (its container must
    // have stopped in podman's records), and exit codes of 125 and up (podman's own failures
    // and signals, read with its messages).
    for (
      const [label, body] of [
        ["committed", { command: "exit 0" }],
        ["exit 126", { command: "exit 126", disposable: true }],
      ] as const
    ) {
      await wrapper.fault("linger run");
      const { uuid } = await s.client.spawn({ image: s.busybox, shell: true, ...body });
      await wrapper.appears("stalled");
      assertEquals((await s.client.getOperation(uuid)).status, "EXECUTING", label);
      await wrapper.release();
      const op = await waitOperation(s.client, uuid);
      assertEquals(op.status, "SUCCESS", `${label}: ${op.error}`);
      assertEquals(op.metadata?.result?.state?.exit_code, label === "exit 126" ? 126 : 0, label);
    }
  } finally {
    await wrapper.release();
    await s.cleanup();
    await wrapper.remove();
  }
});

podmanTest(
  "faults: kill -9 during a run, an upload and a commit; the restart cleans up",
  async () => {
    const wrapper = await podmanWrapper();
    const root = await Deno.makeTempDir({ prefix: "contree-faults-" });
    const home = `${root}/server`;
    const start = () => startServerProcess({ home, env: { CONTREE_PODMAN: wrapper.binary } });
    let server = await start();
    try {
      const imported = await waitOperation(
        server.client,
        (await server.client.importImage({
          registry: { url: `file://${await busyboxRootfsFile()}` },
          tag: "busybox:faults",
        })).uuid,
      );
      const busybox = imported.result_image_uuid!;
      const finished = await waitOperation(
        server.client,
        (await server.client.spawn({
          image: busybox,
          command: "echo kept > /root/kept",
          shell: true,
        }))
          .uuid,
      );
      assertEquals(finished.status, "SUCCESS", finished.error ?? "");
      // Inspecting mounts the image: podman counts that mount past a crash.
      const download = await server.fetch(`/inspect/${busybox}/download?path=/bin/busybox`);
      assertEquals(download.status, 200);
      await download.body?.cancel();
      assertEquals(await isMounted(busybox), true);

      // 1. During a run that writes on and on: it outlives the server, writing into its output
      // file; the restart stops it and trims the file back to what the log refers to.
      const run = await server.client.spawn({ image: busybox, command: "yes", timeout: 600 });
      await waitForEvent(server.client, run.uuid, (event) => event.type === "stdout");
      await server.kill();
      server = await start();
      assertEquals(await isMounted(busybox), false, "the crashed server's image mount is released");
      const afterRun = await server.client.getOperation(run.uuid);
      assertEquals([afterRun.status, afterRun.error], ["FAILED", RESTARTED_ERROR]);
      assertEquals((await leftovers(run.uuid)).containers, []);
      const events = await (await server.fetch(`/operations/${run.uuid}/events`)).text();
      const logged = parseEvents(events).filter((event) => event.type === "stdout")
        .reduce((sum, event) => sum + decodeStreamRepr(event.data).length, 0);
      const file = `${home}/outputs/${run.uuid.slice(0, 2)}/${run.uuid}.1.stdout`;
      assertEquals((await Deno.stat(file)).size, logged);

      // 2. During an upload: the body is cut off once the server is writing it.
      const upload = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(server.url).port),
      });
      const watcher = Deno.watchFs(`${home}/blobs/tmp`);
      await upload.write(new TextEncoder().encode(
        `POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.token}\r\n` +
          "Content-Type: application/octet-stream\r\nContent-Length: 100000000\r\n\r\n",
      ));
      await upload.write(new Uint8Array(1 << 20));
      for await (const event of watcher) {
        if (event.kind === "modify" || event.kind === "create") {
          break;
        }
      }
      watcher.close();
      await server.kill();
      upload.close();
      server = await start();
      assertEquals([...Deno.readDirSync(`${home}/blobs/tmp`)], [], "no partial blob");
      assertEquals((await server.client.listFiles({})).length, 0);

      // 3. During a commit (podman stalls in it): the commit goes on after the crash and leaves an
      // image the database does not know; the restart removes it.
      await wrapper.fault("stall commit", 2);
      const committing = await server.client.spawn({ image: busybox, command: "true" });
      await wrapper.appears("stalled");
      await server.kill();
      await wrapper.appears("done");
      await wrapper.fault(undefined);
      assertEquals((await leftovers(committing.uuid)).images.length, 1, "the orphan was made");
      server = await start();
      const afterCommit = await server.client.getOperation(committing.uuid);
      assertEquals([afterCommit.status, afterCommit.error], ["FAILED", RESTARTED_ERROR]);
      assertEquals(await leftovers(committing.uuid), { containers: [], images: [] });

      // Finished work is intact: the snapshot runs, the import's tag still points at busybox.
      assertEquals((await server.client.getOperation(finished.uuid)).status, "SUCCESS");
      assertEquals(await server.client.lookupTag("busybox:faults"), busybox);
      const check = await waitOperation(
        server.client,
        (await server.client.spawn({
          image: finished.result_image_uuid!,
          command: "cat",
          args: ["/root/kept"],
          disposable: true,
        })).uuid,
      );
      assertEquals(check.status, "SUCCESS", check.error ?? "");
      assertEquals(check.metadata?.result?.stdout?.value, "kept\n");
    } finally {
      await server.stop();
      const store = Store.open(`${home}/contree.db`);
      const serverId = store.meta("server_id");
      store.close();
      if (serverId) await removePodmanObjects(serverId);
      await Deno.remove(root, { recursive: true }).catch(() => {});
      await wrapper.remove();
    }
  },
);
