// `contree images` (list, import) and `contree tag` as a user runs them, against the fake API.

import type { Image, Operation } from "../../src/api/models.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { spawnCli } from "../support/cli.ts";
import { FakeOperations } from "../support/fake_operations.ts";
import { IMAGE, imageUuid, jsonRows, OTHER, serveImages, withCli } from "../support/images.ts";

function manyImages(count: number): Image[] {
  return Array.from({ length: count }, (_, i) => ({
    uuid: imageUuid(i),
    tag: i % 10 === 9 ? null : `app/n${i}:v1`,
    created_at: "2026-06-08T20:00:00Z",
  }));
}

Deno.test("images list: pages until --limit, then warns that the output was truncated", () =>
  withCli(async ({ fake, cli }) => {
    serveImages(fake, manyImages(2500));
    const result = await cli(["-f", "json", "images", "--all", "list", "--limit", "1200"]);
    assertEquals(result.code, 0, result.stderr);
    const rows = jsonRows(result.stdout);
    assertEquals(rows.length, 1200);
    assertEquals(rows[0].uuid, imageUuid(0));
    assertEquals(rows[1199].uuid, imageUuid(1199), "rows stay in server order across pages");
    assertEquals(
      result.stderr,
      // The reference's progress line after each full page, then the warning.
      "[INFO] Fetched 1000 images, loading more...\n" +
        "[WARNING] Output truncated at --limit=1200 images; more results are available. " +
        "Raise --limit or narrow with --prefix/--since/--until.\n",
    );
    const pages = fake.calls("GET", "/v1/images");
    assert(pages.every((r) => Number(r.query.get("limit")) <= 1000), "pages never exceed 1000");
    assert(pages.every((r) => r.query.get("tagged") === null), "--all sends no tagged filter");

    // Exactly as many as exist: no warning.
    const all = await cli(["-f", "json", "images", "--all", "--limit", "2500"]);
    assertEquals(jsonRows(all.stdout).length, 2500);
    assertEquals(
      all.stderr,
      "[INFO] Fetched 1000 images, loading more...\n[INFO] Fetched 2000 images, loading more...\n",
    );
  }));

Deno.test("images: tagged only by default; filters reach the query; flags work before `list`", () =>
  withCli(async ({ fake, cli }) => {
    serveImages(fake, [
      { uuid: IMAGE, tag: "ubuntu:24.04", created_at: "2026-06-08T20:00:00Z" },
      { uuid: OTHER, tag: "ubuntu-dev:1", created_at: "2026-06-08T20:00:00Z" },
      { uuid: imageUuid(3), tag: null, created_at: "2026-06-08T20:00:00Z" },
    ]);
    const tagged = await cli(["-f", "json", "images"]);
    assertEquals(jsonRows(tagged.stdout).map((r) => r.uuid), [IMAGE, OTHER]);
    assertEquals(fake.requests.at(-1)!.query.get("tagged"), "1");

    // §12.20: the parent's flags are not lost when `list` follows (aliases i / img / ls too).
    for (const args of [["images", "--prefix", "ubuntu-"], ["img", "--prefix", "ubuntu-", "ls"]]) {
      const result = await cli(["-f", "json", ...args]);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(jsonRows(result.stdout).map((r) => r.uuid), [OTHER], args.join(" "));
      assertEquals(fake.requests.at(-1)!.query.get("tag"), "ubuntu-");
    }
    // A flag after `list` wins over the same flag before it.
    const both = await cli([
      "-f",
      "json",
      "i",
      "--prefix",
      "nothing",
      "list",
      "--prefix",
      "ubuntu",
    ]);
    assertEquals(jsonRows(both.stdout).length, 2);

    // A prefix ending in a separator is matched here (the server rejects it as a tag).
    const colon = await cli(["-f", "json", "images", "--prefix", "ubuntu:"]);
    assertEquals(colon.code, 0, colon.stderr);
    assertEquals(jsonRows(colon.stdout).map((r) => r.uuid), [IMAGE]);
    assertEquals(fake.requests.at(-1)!.query.get("tag"), "ubuntu");

    const filtered = await cli([
      "-f",
      "json",
      "images",
      "-i",
      IMAGE,
      "--since",
      "2026-01-02",
      "--until",
      "2026-03-04T05:06:07Z",
    ]);
    assertEquals(filtered.code, 0, filtered.stderr);
    const query = fake.requests.at(-1)!.query;
    assertEquals(query.get("uuid"), IMAGE);
    assertEquals(query.get("since"), "2026-01-02T00:00:00Z");
    assertEquals(query.get("until"), "2026-03-04T05:06:07Z");

    const bad = await cli(["images", "--limit", "0"]);
    assertEquals(bad.code, 2);
  }));

// ---- import ----

const OPS = Array.from(
  { length: 10 },
  (_, i) => `0a000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
);

/** Import ops that finish at once: SUCCESS with an image, or FAILED for URLs containing "bad". */
function serveImports(fake: Parameters<Parameters<typeof withCli>[0]>[0]["fake"]) {
  const ops = new FakeOperations(fake);
  let next = 0;
  fake.on("POST", "/v1/images/import", (request) => {
    const body = JSON.parse(new TextDecoder().decode(request.body));
    if (body.registry.url.includes("invalid")) {
      return { status: 400, json: { error: "bad registry url", status: 400 } };
    }
    const uuid = OPS[next++];
    const failed = body.registry.url.includes("bad");
    const op: Operation = {
      uuid,
      kind: "image_import",
      status: failed ? "FAILED" : "SUCCESS",
      error: failed ? "manifest unknown" : null,
      result: failed ? null : { image: imageUuid(next), tag: body.tag },
    };
    ops.add(op);
    return { status: 201, json: { uuid }, headers: { location: `/v1/operations/${uuid}` } };
  });
  return ops;
}

function importBodies(fake: Parameters<typeof serveImports>[0]) {
  return fake.calls("POST", "/v1/images/import").map((r) =>
    JSON.parse(new TextDecoder().decode(r.body))
  );
}

Deno.test("images import: brace expansion, derived tags, rows with the new images", () =>
  withCli(async ({ fake, cli }) => {
    serveImports(fake);
    const result = await cli([
      "-f",
      "json",
      "images",
      "import",
      "ubuntu:{22.04,24.04}",
      "ghcr.io/org/tool?tag=tool:dev",
      "-t",
      "600",
    ]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(importBodies(fake), [
      {
        registry: { url: "docker://docker.io/library/ubuntu:22.04" },
        tag: "ubuntu:22.04",
        timeout: 600,
      },
      {
        registry: { url: "docker://docker.io/library/ubuntu:24.04" },
        tag: "ubuntu:24.04",
        timeout: 600,
      },
      { registry: { url: "docker://ghcr.io/org/tool:latest" }, tag: "tool:dev", timeout: 600 },
    ]);
    const rows = jsonRows(result.stdout);
    assertEquals(rows.length, 3);
    const byOp = new Map(rows.map((r) => [r.uuid, r]));
    assertEquals(byOp.get(OPS[0])!.registry_url, "docker://docker.io/library/ubuntu:22.04");
    assertEquals(byOp.get(OPS[0])!.image, imageUuid(1));
    // The reference's row: the operation's fields, then registry_url and image; error last.
    assertEquals(Object.keys(rows[0]).slice(-3), ["registry_url", "image", "error"]);
    assertEquals(Object.keys(rows[0])[0], "uuid");
    assertStringIncludes(
      result.stderr,
      "[INFO] Starting import docker://docker.io/library/ubuntu:22.04 with tag ubuntu:22.04 and anonymous credentials\n",
    );
    assertStringIncludes(result.stderr, `as tool:dev: image ${imageUuid(3)}`);
  }));

Deno.test("images import: credentials are sent, logged masked; a prompted password; failures exit 1", () =>
  withCli(async ({ fake, cli }) => {
    serveImports(fake);
    const given = await cli([
      "images",
      "import",
      "busybox",
      "--username",
      "me",
      "--password",
      "s3cret-pass",
    ]);
    assertEquals(given.code, 0, given.stderr);
    assertEquals(importBodies(fake)[0].registry.credentials, {
      username: "me",
      password: "s3cret-pass",
    });
    assertStringIncludes(given.stderr, "and credentials me:s3c***\n");
    assert(!given.stderr.includes("s3cret-pass"), "the password is never printed");

    // --username alone asks for the password (piped stdin here).
    const prompted = await cli(["images", "import", "busybox", "--username", "me"], {
      stdin: "short\n",
    });
    assertEquals(prompted.code, 0, prompted.stderr);
    assertStringIncludes(prompted.stderr, "Registry password: ");
    assertEquals(importBodies(fake)[1].registry.credentials.password, "short");
    assertStringIncludes(prompted.stderr, "and credentials me:***\n", "short secrets show nothing");

    // One import fails on the server, one is rejected at once: both rows, exit 1.
    const mixed = await cli(["-f", "json", "images", "import", "bad/image", "invalid/x", "alpine"]);
    assertEquals(mixed.code, 1);
    const rows = jsonRows(mixed.stdout);
    assertEquals(rows.map((r) => r.status).sort(), ["FAILED", "FAILED", "SUCCESS"]);
    const failed = rows.find((r) => r.registry_url === "docker://docker.io/bad/image:latest")!;
    assertEquals(failed.error, "manifest unknown");
    const rejected = rows.find((r) => r.registry_url === "docker://docker.io/invalid/x:latest")!;
    assertEquals(rejected.error, "API 400 Bad Request: bad registry url");
    assertStringIncludes(mixed.stderr, "[ERROR] Import of docker://docker.io/bad/image:latest");
    // A refusal printed first does not narrow the columns of the rows after it (csv, table).
    const csv = await cli(["-f", "csv", "images", "import", "invalid/y", "alpine"]);
    assertEquals(csv.code, 1);
    const [header, ...csvRows] = csv.stdout.trim().split(/\r?\n/);
    assertStringIncludes(header, "kind");
    assertEquals(csvRows.length, 2);
    assert(csvRows[1].includes("image_import"), csv.stdout);

    const noUser = await cli(["images", "import", "busybox", "--password", "x"]);
    assertEquals(noUser.code, 2);
    assertStringIncludes(noUser.stderr, "--password needs --username");
  }));

Deno.test("images import: an import whose answer is lost is UNKNOWN and may have started", () =>
  withCli(async ({ fake, cli }) => {
    // Not retried (it could start a second import); the row must not say the import failed.
    fake.on("POST", "/v1/images/import", () => ({
      status: 201,
      json: { uuid: "0b0b0b0b-0000-4000-8000-000000000001", status: "PENDING" },
      dropBody: true,
    }));
    const lost = await cli(["-f", "json", "images", "import", "busybox"]);
    assertEquals(lost.code, 1, lost.stderr);
    const [row] = jsonRows(lost.stdout);
    assertEquals([row.uuid, row.status], ["", "UNKNOWN"]);
    assertStringIncludes(
      String(row.error),
      "the import may have started on the server all the same",
    );
    assertStringIncludes(
      lost.stderr,
      "[ERROR] Import of docker://docker.io/library/busybox:latest: ",
    );
    assertStringIncludes(lost.stderr, "see `contree op list -k image_import`");
    assertEquals(lost.stderr.includes("failed"), false, lost.stderr);
  }));

Deno.test("images import: SIGINT cancels every running import and exits 130", () =>
  withCli(async ({ fake, env }) => {
    const ops = new FakeOperations(fake);
    let posted = 0;
    let allPosted!: () => void;
    const bothPosted = new Promise<void>((resolve) => (allPosted = resolve));
    fake.on("POST", "/v1/images/import", () => {
      const uuid = OPS[posted++];
      ops.add({ uuid, kind: "image_import", status: "EXECUTING" });
      if (posted === 2) allPosted();
      return { status: 201, json: { uuid } };
    });
    let polled!: () => void;
    const firstPoll = new Promise<void>((resolve) => (polled = resolve));
    fake.on("GET", "/v1/operations/:uuid", (_request, params) => {
      polled();
      return { json: ops.byUuid.get(params.uuid)! };
    });
    const child = spawnCli(["images", "import", "a", "b"], { env });
    await bothPosted;
    await firstPoll;
    child.kill("SIGINT");
    const output = await child.output();
    assertEquals(output.code, 130);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OPS[0]}`).length, 1);
    assertEquals(fake.calls("DELETE", `/v1/operations/${OPS[1]}`).length, 1);
    assertEquals(ops.byUuid.get(OPS[0])!.status, "CANCELLED");
    assertStringIncludes(new TextDecoder().decode(output.stderr), `Cancelled import ${OPS[1]}`);
  }));

// ---- tag ----

Deno.test("tag: set and remove with the tag encoded; one-arg form needs a session", () =>
  withCli(async ({ fake, cli }) => {
    fake.on("PATCH", "/v1/images/:uuid/tag", (request, params) => ({
      json: { uuid: params.uuid, tag: JSON.parse(new TextDecoder().decode(request.body)).tag },
    }));
    fake.on("DELETE", "/v1/images/:uuid/tag", () => ({ status: 204 }));
    const tag = "team/app:v1&x=y";

    const none = await cli(["tag", "mytag"]);
    assertEquals(none.code, 1);
    assertEquals(none.stderr, "[ERROR] No active session. Run `contree use IMAGE` first.\n");
    assertEquals(fake.calls("PATCH", `/v1/images/${IMAGE}/tag`).length, 0);

    const set = await cli(["tag", IMAGE, tag]);
    assertEquals(set.code, 0, set.stderr);
    assertEquals(set.stderr, `[INFO] Tagged image ${IMAGE} as ${tag}\n`);
    const patch = fake.calls("PATCH", `/v1/images/${IMAGE}/tag`)[0];
    assertEquals(JSON.parse(new TextDecoder().decode(patch.body)), { tag });

    // An image named by its tag and tagged anew loses that tag, which is said (it went silently:
    // `tag app:dev app:alias` read as adding a name, as in Docker).
    fake.on("GET", "/v1/images", () => ({
      json: { images: [{ uuid: IMAGE, tag: "app:dev", created_at: "2026-12-01T10:00:00Z" }] },
    }));
    const moved = await cli(["tag", "app:dev", "app:alias"]);
    assertEquals(moved.code, 0, moved.stderr);
    assertEquals(
      moved.stderr,
      `[INFO] Tagged image ${IMAGE} as app:alias (no longer app:dev: an image has one tag)\n`,
    );

    for (const flag of ["-U", "--delete", "--rm"]) {
      const removed = await cli(["t", flag, IMAGE, tag]);
      assertEquals(removed.code, 0, removed.stderr);
      assertEquals(removed.stderr, `[INFO] Removed tag '${tag}' from image ${IMAGE}\n`);
    }
    const deletes = fake.requests.filter((r) => r.method === "DELETE");
    assertEquals(deletes.length, 3);
    assertEquals(deletes[0].query.get("tag"), tag, "the whole tag arrives, & and : included");
    assertEquals(deletes[0].query.getAll("x"), [], "the & did not split the query");

    // With a session, one argument tags the current image without any lookup.
    assertEquals((await cli(["use", OTHER])).code, 0);
    const before = fake.requests.length;
    const current = await cli(["tag", "mine:1"]);
    assertEquals(current.code, 0, current.stderr);
    assertEquals(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
      `PATCH /v1/images/${OTHER}/tag`,
    ]);
  }));

Deno.test("tag: IMAGE by tag resolves through the listing, then the inspect redirect", () =>
  withCli(async ({ fake, cli }) => {
    serveImages(fake, [{ uuid: IMAGE, tag: "mine:1" }]);
    fake.on(
      "GET",
      "/v1/inspect/",
      (request) =>
        request.query.get("tag") === "public/base:2"
          ? { status: 302, headers: { location: `${OTHER}/` } }
          : { status: 404, json: { error: "tag not found", status: 404 } },
    );
    fake.on("PATCH", "/v1/images/:uuid/tag", (_request, params) => ({
      json: { uuid: params.uuid },
    }));

    const listed = await cli(["tag", "tag:mine:1", "other:1"]);
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(fake.calls("PATCH", `/v1/images/${IMAGE}/tag`).length, 1);
    assertEquals(fake.calls("GET", "/v1/inspect/").length, 0, "a listed tag needs no redirect");

    const redirected = await cli(["tag", "public/base:2", "copy:1"]);
    assertEquals(redirected.code, 0, redirected.stderr);
    assertEquals(fake.calls("PATCH", `/v1/images/${OTHER}/tag`).length, 1);
    assertEquals(fake.calls("GET", "/v1/inspect/")[0].query.get("tag"), "public/base:2");

    const missing = await cli(["tag", "nope:1", "x"]);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr, "[ERROR] API 404 Not Found: No image with tag 'nope:1'\n");
  }));
