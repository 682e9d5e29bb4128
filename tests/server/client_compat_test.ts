// What clients written for the ConTree API send and expect, over HTTP and without podman: the
// defects of issue 15 that need no sandbox (numbers that were null, untag without a tag, HEAD
// lookups, import references podman cannot parse). The ones that need a sandbox are in
// podman_compat_test.ts.

import type { OperationRow } from "../../src/server/store.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { addImageRow, type TestServer, withServer } from "../support/server.ts";

/** An operation row in a given state, as the manager stores it before it ends. */
function addOperation(s: TestServer, changes: Partial<OperationRow>): string {
  const uuid = crypto.randomUUID();
  s.server.store.insertOperation({
    uuid,
    kind: "instance",
    status: "PENDING",
    error: null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    duration: null,
    image_uuid: null,
    result_image_uuid: null,
    result_tag: null,
    image_size: null,
    metadata: { command: "true", image: "x" },
    ...changes,
  });
  return uuid;
}

Deno.test("defect 1: active operations carry numbers, never null, in show and list", async () => {
  await withServer(async (s) => {
    const image = addImageRow(s, null);
    const pending = addOperation(s, { image_uuid: image });
    const startedAt = new Date(Date.now() - 5000).toISOString();
    const executing = addOperation(s, {
      status: "EXECUTING",
      started_at: startedAt,
      image_uuid: image,
    });
    const importing = addOperation(s, {
      kind: "image_import",
      status: "ASSIGNED",
      started_at: startedAt,
      metadata: { registry: { url: "docker://busybox" }, tag: null, timeout: 300 },
    });
    const shown = await Promise.all(
      [pending, executing, importing].map(async (uuid) =>
        await (await s.fetch(`/operations/${uuid}`)).json()
      ),
    );
    const listed = await (await s.fetch("/operations")).json() as Record<string, unknown>[];
    for (const op of [...shown, ...listed]) {
      assertEquals(typeof op.duration, "number", JSON.stringify(op));
      assertEquals(typeof op.image_size, "number", JSON.stringify(op));
      for (const [name, value] of Object.entries(op)) {
        if (value === null) assertEquals(name, "error", `${name} is null in ${JSON.stringify(op)}`);
      }
    }
    assertEquals(shown[0].duration, 0);
    assert(shown[1].duration >= 5, `elapsed seconds of a running operation: ${shown[1].duration}`);
    assert(shown[2].duration >= 5);
    // An import has no input image: the field is left out rather than null.
    assertEquals("image_uuid" in shown[2], false);
    assertEquals(shown[0].image_uuid, image);
    assertEquals(shown[0].result, { image: null, tag: null });
  });
});

Deno.test("defect 3: DELETE /images/{uuid}/tag without ?tag= removes the image's tag", async () => {
  await withServer(async (s) => {
    const image = addImageRow(s, "mine:1");
    const response = await s.fetch(`/images/${image}/tag`, { method: "DELETE" });
    assertEquals(response.status, 204);
    assertEquals(await response.text(), "");
    assertEquals((await s.client.inspectImage(image)).tag, null);
    assertEquals((await s.fetch("/inspect/?tag=mine:1")).status, 404);
    // Untagging an untagged image the same way is harmless; a tag it lacks is still a 404.
    assertEquals((await s.fetch(`/images/${image}/tag`, { method: "DELETE" })).status, 204);
    const other = await s.fetch(`/images/${image}/tag?tag=else:1`, { method: "DELETE" });
    assertEquals(other.status, 404);
    assertMatch((await other.json()).error, /has no tag else:1/);
  });
});

Deno.test("defect 4: every GET lookup answers HEAD the same way, without a body", async () => {
  await withServer(async (s) => {
    const file = await s.client.uploadFile(new TextEncoder().encode("probe me"));
    const image = addImageRow(s, "head:1");
    const missingSha = "f".repeat(64);
    const lookups = [
      [`/files?sha256=${file.sha256}`, 200],
      [`/files?sha256=${missingSha}`, 404],
      [`/files?uuid=${file.uuid}`, 200],
      [`/files?uuid=${crypto.randomUUID()}`, 404],
      [`/files/${file.sha256}`, 200],
      [`/files/${missingSha}`, 404],
      ["/files", 200],
      ["/images", 200],
      ["/whoami", 200],
      [`/operations/${crypto.randomUUID()}`, 404],
      [`/inspect/${image}/`, 200],
      ["/inspect/?tag=head:1", 302],
      ["/inspect/?tag=nope:1", 404],
    ] as const;
    for (const [path, status] of lookups) {
      const get = await s.fetch(path);
      await get.body?.cancel();
      const head = await s.fetch(path, { method: "HEAD" });
      assertEquals([get.status, head.status], [status, status], path);
      assertEquals(await head.text(), "", path);
      assertEquals(head.headers.get("content-encoding"), null, path);
      assertEquals(head.headers.get("location"), get.headers.get("location"), path);
      assertEquals(head.headers.get("content-type"), get.headers.get("content-type"), path);
      // The length of the body GET sends without gzip (was 0, filled in by Deno).
      const plain = await s.fetch(path, { headers: { "Accept-Encoding": "identity" } });
      const length = (await plain.arrayBuffer()).byteLength;
      if (status !== 302) assertEquals(head.headers.get("content-length"), String(length), path);
    }
    // The legacy GET by sha256 and the new lookup by uuid answer the FileResponse.
    assertEquals(await (await s.fetch(`/files?uuid=${file.uuid}`)).json(), {
      uuid: file.uuid,
      sha256: file.sha256,
      size: 8,
    });
  });
});

Deno.test("defect 6: an import podman cannot parse is refused at POST time", async () => {
  await withServer(async (s) => {
    for (
      const url of [
        "docker://file:///abs/rootfs.tar:latest", // the reference CLI's reading of a file path
        "docker://Busybox:latest",
        "rootfs.tar",
        "file://server/x.tar",
      ]
    ) {
      const response = await s.fetch("/images/import", {
        method: "POST",
        body: JSON.stringify({ registry: { url }, tag: "x:1" }),
      });
      assertEquals(response.status, 400, url);
      const body = await response.json();
      assertEquals(body.status, 400);
      assertMatch(body.error, /docker:\/\/\[registry\/\]name\[:tag\]/, url);
      assertMatch(body.error, /file:\/\/\/abs\/path\/rootfs\.tar/, url);
    }
    assertEquals(await s.client.listOperations({}), []);
  });
});
