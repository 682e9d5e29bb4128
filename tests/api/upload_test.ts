// Image references and "ensure file" uploads against the fake API, in process.

import { createHash } from "node:crypto";
import { ContreeClient } from "../../src/api/client.ts";
import { ApiError } from "../../src/api/errors.ts";
import { resolveImageRef } from "../../src/api/image_ref.ts";
import { ensureFile, ensureFiles, LOCAL_FILE_TTL_MS } from "../../src/api/upload.ts";
import { ContreeError } from "../../src/errors.ts";
import { Logger } from "../../src/log.ts";
import { MemorySink } from "../../src/io.ts";
import { SessionStore } from "../../src/session/store.ts";
import { imageCache } from "../../src/session/adapters.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { IMG, tempDb } from "../support/sessions.ts";

function clientFor(fake: FakeApi, clock = new FakeClock()) {
  const stderr = new MemorySink();
  const client = new ContreeClient(
    { url: fake.url, token: fake.token, type: "jwt" },
    { fetch, clock, log: new Logger(stderr, "info"), userAgent: "test" },
  );
  return { client, stderr, clock };
}

Deno.test("image ref: UUIDs need no request; tags resolve to the exact tag", async () => {
  const fake = FakeApi.start();
  try {
    const images = [
      { uuid: IMG[0], tag: "ubuntu-custom:1" },
      { uuid: IMG[1], tag: "ubuntu:24.04" },
      { uuid: IMG[2], tag: "ubuntu:latest" },
      { uuid: IMG[3], tag: "busybox:latest" },
    ];
    fake.on("GET", "/v1/images", (request) => {
      const prefix = request.query.get("tag") ?? "";
      return { json: { images: images.filter((i) => i.tag.startsWith(prefix)) } };
    });
    const { client } = clientFor(fake);
    assertEquals(await resolveImageRef(client, IMG[4].toUpperCase()), IMG[4]);
    assertEquals(fake.requests.length, 0, "a UUID is used without a request");
    assertEquals(await resolveImageRef(client, "tag:ubuntu:24.04"), IMG[1]);
    assertEquals(await resolveImageRef(client, "ubuntu"), IMG[2], "NAME falls back to NAME:latest");
    assertEquals(await resolveImageRef(client, "busybox:latest"), IMG[3]);
    assertEquals(fake.requests.at(-1)?.query.get("tag"), "busybox:latest");
    const error = await assertRejects(() => resolveImageRef(client, "ubuntu:2"), ApiError);
    assertEquals(error.message, "API 404 Not Found: No image with tag 'ubuntu:2'");
  } finally {
    await fake.close();
  }
});

function fileServer(fake: FakeApi) {
  const stored = new Map<string, string>(); // sha256 → uuid
  let uploads = 0;
  fake.on("GET", "/v1/files/:sha", (_request, params) => {
    const uuid = stored.get(params.sha);
    return uuid
      ? { json: { uuid, sha256: params.sha, size: 1, created_at: "", updated_at: "" } }
      : { status: 404, json: { error: "not found" } };
  });
  fake.on("POST", "/v1/files", (request) => {
    const sha = createHash("sha256").update(request.body).digest("hex");
    const uuid = `file-${++uploads}`;
    stored.set(sha, uuid);
    return { status: 201, json: { uuid, sha256: sha, size: request.body.length } };
  });
  return { stored, uploads: () => uploads };
}

Deno.test("upload: sha dedup, streamed upload, local cache, invalidation and expiry", async () => {
  const fake = FakeApi.start();
  const { dir, path, cleanup } = await tempDb();
  const store = SessionStore.open(path);
  const cache = imageCache(store);
  try {
    const server = fileServer(fake);
    const { client, stderr, clock } = clientFor(fake);
    const file = `${dir}/data.bin`;
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    await Deno.writeFile(file, bytes);

    const first = await ensureFile(client, cache, "data.bin", { cwd: dir });
    assertEquals([first.outcome, first.uuid], ["uploaded", "file-1"]);
    assertEquals(first.sha256, createHash("sha256").update(bytes).digest("hex"));
    assertEquals(fake.calls("POST", "/v1/files")[0].body.length, bytes.length);

    const cached = await ensureFile(client, cache, file);
    assertEquals([cached.outcome, cached.uuid], ["cached", "file-1"]);
    assertEquals(fake.requests.length, 2, "the local cache answers without a request");

    // Same content under another name: the server has it.
    await Deno.writeFile(`${dir}/copy.bin`, bytes);
    const reused = await ensureFile(client, cache, `${dir}/copy.bin`);
    assertEquals([reused.outcome, reused.uuid], ["reused", "file-1"]);
    assertStringIncludes(stderr.text(), `[INFO] File reused: ${dir}/copy.bin -> file-1`);

    // A changed file has another fingerprint.
    await Deno.writeFile(file, new Uint8Array([1, 2, 3]));
    const changed = await ensureFile(client, cache, file);
    assertEquals([changed.outcome, changed.uuid], ["uploaded", "file-2"]);

    // Cache entries expire after 90 days.
    clock.advance(LOCAL_FILE_TTL_MS + 1);
    const expired = await ensureFile(client, cache, file);
    assertEquals(expired.outcome, "reused");
    assertEquals(server.uploads(), 2);

    // Without the local cache, every call hashes and asks the server.
    const before = fake.requests.length;
    assertEquals((await ensureFile(client, cache, file, { localCache: false })).outcome, "reused");
    assertEquals(fake.requests.length, before + 1);

    await assertRejects(
      () => ensureFile(client, cache, `${dir}/missing`),
      ContreeError,
      `File not found: ${dir}/missing`,
    );
    await assertRejects(() => ensureFile(client, cache, dir), ContreeError, "Not a regular file");
  } finally {
    store.close();
    await fake.close();
    await cleanup();
  }
});

Deno.test("upload: ensureFiles works in parallel and keeps the input order", async () => {
  const fake = FakeApi.start();
  const { dir, cleanup } = await tempDb();
  try {
    fileServer(fake);
    const { client } = clientFor(fake);
    const paths = [];
    for (let i = 0; i < 6; i++) {
      paths.push(`${dir}/f${i}`);
      await Deno.writeTextFile(`${dir}/f${i}`, `content ${i}`);
    }
    const results = await ensureFiles(client, undefined, paths, { concurrency: 3 });
    assertEquals(results.map((r) => r.path), paths);
    assertEquals(new Set(results.map((r) => r.uuid)).size, 6);
    const again = await ensureFiles(client, undefined, [...paths].reverse(), { concurrency: 4 });
    assertEquals(again.map((r) => r.outcome), new Array(6).fill("reused"));
    assertEquals(again.map((r) => r.uuid), results.map((r) => r.uuid).reverse());
  } finally {
    await fake.close();
    await cleanup();
  }
});
