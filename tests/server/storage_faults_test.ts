// A full disk and a read-only blob store (issue 16), on real file systems: the server home on a
// small tmpfs (filled by an upload), and the blob directory on a tmpfs remounted read-only while
// the server runs. Both need `mount` (root; nothing in /etc is changed); where it is not allowed
// the tests are ignored with a SKIP line.

import { isTerminalStatus } from "../../src/api/models.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { podmanSkipReason } from "../support/podman.ts";
import { startTestServer } from "../support/server.ts";
import {
  fillDisk,
  mountTmpfs,
  remountReadOnly,
  tmpfsSkipReason,
  unmount,
  withTmpfs,
} from "../support/tmpfs.ts";

if (tmpfsSkipReason) console.log(`SKIP: storage fault tests: ${tmpfsSkipReason}`);

function storageTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: tmpfsSkipReason !== undefined, fn });
}

/** Sends a body with Content-Length and returns the status and JSON answer. */
async function upload(url: string, token: string, bytes: Uint8Array) {
  const response = await fetch(`${url}/v1/files`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
    body: bytes as BodyInit,
  });
  return { status: response.status, text: await response.text() };
}

storageTest(
  "storage: a full disk answers 507, removes the partial blob and keeps serving",
  () =>
    withTmpfs("contree-full-disk-", 24, async (dataDir) => {
      const s = await startTestServer({ dataDir });
      try {
        const full = await upload(s.url, s.token, new Uint8Array(48 << 20).fill(1));
        assertEquals(full.status, 507, full.text);
        assertEquals(JSON.parse(full.text).error, "no space left on the server's disk");
        assert(!full.text.includes(dataDir), full.text);
        assertEquals([...Deno.readDirSync(`${dataDir}/blobs/tmp`)], [], "no partial blob");
        // Still serving, and the space is back.
        assertEquals((await s.client.whoami()).permissions.list, true);
        const small = await s.client.uploadFile(new TextEncoder().encode("fits"));
        assertEquals(small.size, 4);
        assertEquals((await s.client.listFiles({})).length, 1);
      } finally {
        await s.stop();
      }
    }),
);

storageTest(
  "storage: a read-only blob store answers 503 and the server keeps serving",
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "contree-ro-blobs-" });
    const blobs = `${dataDir}/blobs`;
    await Deno.mkdir(blobs);
    await mountTmpfs(blobs, 8);
    try {
      const s = await startTestServer({ dataDir });
      try {
        const stored = await s.client.uploadFile(new TextEncoder().encode("before"));
        await remountReadOnly(blobs);
        const refused = await upload(s.url, s.token, new TextEncoder().encode("after"));
        assertEquals(refused.status, 503, refused.text);
        assertEquals(JSON.parse(refused.text).error, "the server's storage is not writable");
        assert(!refused.text.includes(dataDir), refused.text);
        assertEquals((await s.client.getFile(stored.sha256))?.uuid, stored.uuid);
        assertEquals((await s.client.whoami()).permissions.list, true);
      } finally {
        await s.stop();
      }
    } finally {
      await unmount(blobs);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test({
  name: "storage: a run whose completion meets a full disk is recorded once space is back",
  ignore: tmpfsSkipReason !== undefined || podmanSkipReason !== undefined,
  fn: () =>
    withTmpfs("contree-full-finish-", 24, async (dataDir) => {
      const s = await startTestServer({ dataDir, busybox: true });
      try {
        // What is left after the filler: less than the run prints.
        const filler = await fillDisk(dataDir, 6 << 20);
        const { uuid } = await s.client.spawn({
          image: s.busybox,
          command: "head -c 10000000 /dev/zero; echo done >&2",
          shell: true,
          disposable: true,
          truncate_output_at: 16_000_000,
        });
        // The run ends; its completion cannot be written while the disk is full.
        const metFullDisk = () =>
          s.log.text().includes(`operation ${uuid}`) && s.log.text().includes("disk is full");
        for (let i = 0; !metFullDisk(); i++) {
          assert(i < 600, `the completion never met the full disk: ${s.log.text()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await Deno.remove(filler);
        // Was: EXECUTING for good (until a restart), not cancellable, followers waiting.
        let operation = await s.client.getOperation(uuid);
        for (let i = 0; !isTerminalStatus(operation.status); i++) {
          assert(i < 300, `still ${operation.status} with space back`);
          await new Promise((resolve) => setTimeout(resolve, 100));
          operation = await s.client.getOperation(uuid);
        }
        assertEquals((await s.client.whoami()).permissions.list, true, "still serving");
      } finally {
        // cleanup, not stop: its podman objects go too (the busybox image was left behind).
        await s.cleanup();
      }
    }),
});
