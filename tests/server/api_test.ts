// The server's HTTP API without podman: auth, gzip and error bodies, paging, files, images and
// tags, inspect redirects, spawn validation, operations that fail before podman runs, and
// persistence across a restart.

import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { ApiError } from "../../src/api/errors.ts";
import { RESTARTED_ERROR } from "../../src/server/operations.ts";
import { Store } from "../../src/server/store.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import {
  addImageRow,
  startTestServer,
  type TestServer,
  waitOperation,
  withServer,
} from "../support/server.ts";

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads the raw (still compressed) body of a response. */
async function rawBody(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test("api: requests without the token are refused with a 401 JSON error", async () => {
  await withServer(async (s) => {
    for (const token of [null, "wrong-token"]) {
      const response = await s.fetch("/whoami", { token });
      assertEquals(response.status, 401);
      assertEquals(await response.json(), { error: "missing or invalid token", status: 401 });
      assertEquals(response.headers.get("www-authenticate"), "Bearer"); // RFC 9110 §11.6.1
    }
    const whoami = await s.client.whoami();
    assertEquals(whoami.permissions.spawn, true);
    assertEquals(whoami.token_expiration, null);
  });
});

Deno.test("api: every body is gzip'd for a client that accepts it; HEAD and 204 have none", async () => {
  await withServer(async (s) => {
    // node:http does not inflate, so the bytes on the wire are visible.
    const { request } = await import("node:http");
    const raw = (path: string, method = "GET") =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Uint8Array }>(
        (resolve, reject) => {
          const req = request(`${s.url}/v1${path}`, {
            method,
            headers: { Authorization: `Bearer ${s.token}`, "Accept-Encoding": "gzip" },
          }, (res) => {
            const chunks: Uint8Array[] = [];
            res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
            res.on("end", () =>
              resolve({
                status: res.statusCode!,
                headers: res.headers,
                body: new Uint8Array(Buffer.concat(chunks)),
              }));
          });
          req.on("error", reject);
          req.end();
        },
      );
    for (const path of ["/whoami", "/images", "/operations", "/files", "/nowhere"]) {
      const response = await raw(path);
      assertEquals(response.headers["content-encoding"], "gzip", path);
      assertEquals(Number(response.headers["content-length"]), response.body.length, path);
      JSON.parse(new TextDecoder().decode(gunzipSync(response.body)));
    }
    const head = await raw("/files/" + "a".repeat(64), "HEAD");
    assertEquals(head.status, 404);
    assertEquals(head.headers["content-encoding"], undefined);
    assertEquals(head.body.length, 0);
    const plain = await s.fetch("/whoami", { headers: { "Accept-Encoding": "identity" } });
    assertEquals(plain.headers.get("content-encoding"), null);
    assertEquals((await plain.json()).limits.instance_max_timeout, 3600);
  });
});

Deno.test("api: errors are JSON with error and status; unknown routes 404, wrong methods 405", async () => {
  await withServer(async (s) => {
    const missing = await s.fetch("/nowhere");
    assertEquals(missing.status, 404);
    assertEquals(await missing.json(), { error: "no route for GET /v1/nowhere", status: 404 });
    const method = await s.fetch("/whoami", { method: "POST" });
    assertEquals(method.status, 405);
    assertEquals((await method.json()).status, 405);
    assertEquals(method.headers.get("allow"), "GET, HEAD"); // HEAD is answered wherever GET is
    const subprocess = await s.fetch(`/operations/${crypto.randomUUID()}/subprocesses`, {
      method: "POST",
    });
    assertEquals(subprocess.status, 404);
    assertMatch((await subprocess.json()).error, /operation not found/);
  });
});

Deno.test("api: paging accepts limit 1–1000 and refuses anything else with 400", async () => {
  await withServer(async (s) => {
    for (const uuid of [0, 1, 2].map(() => addImageRow(s, null))) assert(uuid);
    for (const path of ["/images", "/operations", "/files"]) {
      for (const limit of ["0", "1001", "abc", "-1", "1.5"]) {
        const response = await s.fetch(`${path}?limit=${limit}`);
        assertEquals(response.status, 400, `${path} limit=${limit}`);
        assertEquals(await response.json(), {
          error: "limit must be between 1 and 1000",
          status: 400,
        });
      }
      assertEquals((await s.fetch(`${path}?limit=1000`)).status, 200);
      assertEquals((await s.fetch(`${path}?offset=-3`)).status, 400);
    }
    const page = (query: string) =>
      s.client.listImages(Object.fromEntries(new URLSearchParams(query)));
    assertEquals((await page("limit=2")).length, 2);
    assertEquals((await page("limit=2&offset=2")).length, 1);
    assertEquals((await page("limit=2&offset=3")).length, 0);
  });
});

Deno.test("api: uploads are content-addressed, chunked bodies accepted, and looked up by sha256", async () => {
  await withServer(async (s) => {
    const data = new TextEncoder().encode("hello contree\n");
    const first = await s.client.uploadFile(data);
    assertEquals(first.sha256, sha256(data));
    assertEquals(first.size, data.length);
    // A streamed (chunked) body of the same bytes dedupes to the same file.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.slice(0, 5));
        controller.enqueue(data.slice(5));
        controller.close();
      },
    });
    const response = await s.fetch("/files", {
      method: "POST",
      body: stream,
      headers: { "Content-Type": "application/octet-stream" },
    });
    assertEquals(response.status, 201);
    assertEquals((await response.json()).uuid, first.uuid);
    const record = await s.client.getFile(first.sha256);
    assertEquals(record?.uuid, first.uuid);
    assertMatch(record!.created_at, /^\d{4}-\d{2}-\d{2}T/);
    assertEquals(await s.client.getFile("b".repeat(64)), undefined);
    assertEquals((await s.fetch(`/files/${first.sha256}`, { method: "HEAD" })).status, 200);
    assertEquals((await s.fetch(`/files?uuid=${first.uuid}`, { method: "HEAD" })).status, 200);
    assertEquals((await (await s.fetch(`/files?sha256=${first.sha256}`)).json()).uuid, first.uuid);
    assertEquals((await s.client.listFiles({})).map((f) => f.uuid), [first.uuid]);
    const blob = await Deno.readFile(
      `${s.dataDir}/blobs/${first.sha256.slice(0, 2)}/${first.sha256}`,
    );
    assertEquals(blob, data);
    const empty = await s.client.uploadFile(new Uint8Array());
    assertEquals(empty.sha256, sha256(""));
  });
});

Deno.test("api: tags are unique and move; untag; filters; the inspect tag redirect", async () => {
  await withServer(async (s) => {
    const old = addImageRow(s, "base:1", "2026-01-01T00:00:00.000Z");
    const other = addImageRow(s, null);
    const moved = await s.client.tagImage(other, "base:1");
    assertEquals(moved.tag, "base:1");
    const images = await s.client.listImages({});
    assertEquals(images.find((i) => i.uuid === old)?.tag, null);
    assertEquals((await s.client.listImages({ tagged: true })).map((i) => i.uuid), [other]);
    assertEquals((await s.client.listImages({ tag: "base" })).map((i) => i.uuid), [other]);
    assertEquals((await s.client.listImages({ since: "2026-06-01" })).map((i) => i.uuid), [other]);
    assertEquals((await s.client.listImages({ until: "2026-06-01" })).map((i) => i.uuid), [old]);
    assertEquals((await s.client.listImages({ since: "1h" })).map((i) => i.uuid), [other]);
    assertEquals((await s.fetch("/images?since=yesterday")).status, 400);
    // Tag lookup: 302 with a Location relative to /v1/inspect/, and the Image at the target.
    const redirect = await s.fetch("/inspect/?tag=base:1");
    assertEquals(redirect.status, 302);
    assertEquals(redirect.headers.get("location"), `${other}/`);
    assertEquals(await s.client.lookupTag("base:1"), other);
    assertEquals((await s.client.inspectImage(other)).tag, "base:1");
    const followed = await fetch(`${s.url}/v1/inspect/?tag=base:1`, {
      headers: { Authorization: `Bearer ${s.token}` },
    });
    assertEquals((await followed.json()).uuid, other);
    // The alias without the slash redirects to the same image (was `/v1/<uuid>/`, a 404).
    const alias = await fetch(`${s.url}/v1/inspect?tag=base:1`, {
      headers: { Authorization: `Bearer ${s.token}` },
    });
    assertEquals([alias.url, (await alias.json()).uuid], [`${s.url}/v1/inspect/${other}/`, other]);
    assertEquals((await s.fetch("/inspect/?tag=nope")).status, 404);
    assertEquals((await s.fetch("/inspect/")).status, 400);
    // Untag: 204, then 404 for a tag the image does not carry.
    await s.client.untagImage(other, "base:1");
    const again = await s.fetch(`/images/${other}/tag?tag=base:1`, { method: "DELETE" });
    assertEquals(again.status, 404);
    await assertRejects(() => s.client.tagImage(other, "bad tag!"), ApiError, "invalid tag");
    // No tag at all: said so (was "invalid tag: undefined").
    for (const body of ["{}", '{"tag": null}']) {
      const missing = await s.fetch(`/images/${other}/tag`, { method: "PATCH", body });
      assertEquals([missing.status, (await missing.json()).error], [
        400,
        "tag is required (DELETE removes a tag)",
      ]);
    }
    // ConTree's rule (CLI spec §8.6), so that a tag made here is one the cloud takes: these were
    // accepted.
    for (const tag of ["BadTag", "a@sha256", "v1+build", "a:", ":a", "a..b", "x".repeat(257)]) {
      await assertRejects(() => s.client.tagImage(other, tag), ApiError, `invalid tag: "${tag}`);
    }
    for (const tag of ["registry.local/team/app:1.2.3", "my_app-v2", "x".repeat(256)]) {
      assertEquals((await s.client.tagImage(other, tag)).tag, tag);
    }
  });
});

Deno.test("api: spawn requests are validated before anything runs", async () => {
  await withServer(async (s) => {
    const image = addImageRow(s, "v:1");
    const file = await s.client.uploadFile(new TextEncoder().encode("x"));
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ image }, 400, /command is required/],
      [{ command: "true" }, 400, /image is required/],
      [{ command: "true", image: crypto.randomUUID() }, 404, /image not found/],
      [{ command: "true", image: "tag:nope" }, 404, /image not found/],
      [{ command: "true", image, timeout: 99999 }, 400, /timeout must be between 1 and 3600/],
      [{ command: "true", image, cwd: "relative" }, 400, /absolute path/],
      [
        { command: "true", image, files: { "/x": { uuid: crypto.randomUUID() } } },
        400,
        /file not found/,
      ],
      [{ command: "true", image, files: { "/x": { uuid: file.uuid, mode: "999" } } }, 400, /mode/],
      [
        { command: "true", image, files: { "/x": { uuid: file.uuid, mode: "rw-r--r--" } } },
        400,
        /mode/,
      ],
      [{ command: "true", image, files: { "/a/../x": { uuid: file.uuid } } }, 400, /'\.\.'/],
      [{ command: "true", image, uid: -1 }, 400, /uid must be/],
      // Larger ids than podman takes (it refused them, or wrapped a file's owner silently).
      [
        { command: "true", image, gid: 2 ** 31 },
        400,
        /gid must be an integer from 0 to 2147483647/,
      ],
      [
        { command: "true", image, files: { "/x": { uuid: file.uuid, uid: 99999999999 } } },
        400,
        /uid must be an integer from 0 to 2147483647/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const response = await s.fetch("/instances", { method: "POST", body: JSON.stringify(body) });
      assertEquals(response.status, status, JSON.stringify(body));
      assertMatch((await response.json()).error, message);
    }
    assertEquals((await s.fetch("/instances", { method: "POST", body: "{" })).status, 400);
    assertEquals(await s.client.listOperations({}), []);
  });
});

Deno.test("api: a failed import is a terminal operation: events, 409 on cancel, filters", async () => {
  await withServer(async (s) => {
    const bad = await s.fetch("/images/import", {
      method: "POST",
      body: JSON.stringify({ registry: { url: "ftp://example.com/x" } }),
    });
    assertEquals(bad.status, 400);
    const { uuid } = await s.client.importImage({
      registry: { url: "file:///nonexistent/rootfs.tar", credentials: { password: "secret" } },
      tag: "never:1",
    });
    const op = await waitOperation(s.client, uuid);
    assertEquals(op.status, "FAILED");
    assertMatch(op.error!, /no such file on the server/);
    assertEquals(op.kind, "image_import");
    assertEquals((op.metadata as { registry: { credentials: unknown } }).registry.credentials, {
      password: "<MASKED>",
    });
    const events = await (await s.fetch(`/operations/${uuid}/events`)).text();
    assertEquals(
      events.split("\n").filter((l) => l.startsWith("event: ")),
      ["event: init", "event: completion"],
    );
    const resumed = await (await s.fetch(`/operations/${uuid}/events?follow=1`, {
      headers: { "Last-Event-ID": "0" },
    })).text();
    assertEquals(resumed.split("\n")[0], "id: 1");
    const cancel = await s.fetch(`/operations/${uuid}`, { method: "DELETE" });
    assertEquals(cancel.status, 409);
    assertEquals(await cancel.json(), { error: "operation is not cancellable", status: 409 });
    assertEquals((await s.client.listOperations({ status: "FAILED" })).length, 1);
    assertEquals((await s.client.listOperations({ kind: "instance" })).length, 0);
    assertEquals((await s.fetch("/operations?status=DONE")).status, 400);
    assertEquals((await s.fetch(`/operations/${crypto.randomUUID()}`)).status, 404);
    assertEquals((await s.fetch(`/operations/${crypto.randomUUID()}/events`)).status, 404);
    assertEquals((await s.client.whoami()).operations_stat, { FAILED: 1 });
  });
});

Deno.test("api: state survives a restart; operations cut off by a crash end FAILED", async () => {
  const first = await startTestServer();
  const dataDir = first.dataDir;
  let second: TestServer | undefined;
  try {
    const file = await first.client.uploadFile(new TextEncoder().encode("kept"));
    const image = addImageRow(first, "kept:1");
    const { uuid: failed } = await first.client.importImage({
      registry: { url: "file:///nonexistent.tar" },
    });
    await waitOperation(first.client, failed);
    await first.stop();
    // A crash leaves an operation EXECUTING with a partial log.
    const crashed = crypto.randomUUID();
    const store = Store.open(`${dataDir}/contree.db`);
    store.insertOperation({
      uuid: crashed,
      kind: "instance",
      status: "EXECUTING",
      error: null,
      created_at: new Date().toISOString(),
      started_at: new Date().toISOString(),
      finished_at: null,
      duration: null,
      image_uuid: image,
      result_image_uuid: null,
      result_tag: null,
      image_size: null,
      metadata: { command: "sleep 100", image },
    });
    store.insertEvent(crashed, { id: 0, spid: 0, type: "init", json: '{"id":0,"type":"init"}' });
    store.close();

    second = await startTestServer({ dataDir, token: first.token });
    assertEquals((await second.client.getFile(file.sha256))?.uuid, file.uuid);
    assertEquals(await second.client.lookupTag("kept:1"), image);
    assertEquals((await second.client.getOperation(failed)).status, "FAILED");
    const op = await second.client.getOperation(crashed);
    assertEquals(op.status, "FAILED");
    assertEquals(op.error, RESTARTED_ERROR);
    const log = await (await second.fetch(`/operations/${crashed}/events?follow=1`)).text();
    const last = JSON.parse(log.trim().split("\n").at(-1)!.slice("data: ".length));
    assertEquals([last.id, last.type, last.data.status], [1, "completion", "FAILED"]);
    assertEquals(
      (await second.client.whoami()).token_uuid,
      (await second.client.whoami()).token_uuid,
    );
  } finally {
    await (second ?? first).cleanup();
  }
});

Deno.test("api: event streams are plain text for a client that does not accept gzip", async () => {
  await withServer(async (s) => {
    const { uuid } = await s.client.importImage({ registry: { url: "file:///nonexistent.tar" } });
    await waitOperation(s.client, uuid);
    const response = await s.fetch(`/operations/${uuid}/events`, {
      headers: { "Accept-Encoding": "identity" },
    });
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    assertEquals(response.headers.get("content-encoding"), null);
    const text = new TextDecoder().decode(await rawBody(response));
    assertMatch(text, /^id: 0\nevent: init\ndata: \{/);
  });
});
