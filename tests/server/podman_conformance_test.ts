// Conformance of the local server to the ConTree API on real podman: every endpoint of the index
// (API spec §2) is driven over HTTP and every response body is validated against its schema of
// §4 (tests/support/api_schemas.ts, zod), with the status codes and the Location/Retry-After
// headers of §3. Operations are validated in every state, driven deterministically: a queue held
// by a running instance (concurrency 1) gives PENDING, a process that has written gives
// EXECUTING, an import pulling from a registry that never answers stays EXECUTING, and cancel, a layer cap and
// a missing file give the terminal states.

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  DirectoryList,
  ErrorBody,
  expectShape,
  FileRecord,
  FileResponse,
  FilesList,
  GrepResult,
  Image,
  ImageList,
  ImportResponse,
  InstanceResult,
  InstanceSpawnResponse,
  OperationEvent,
  OperationList,
  OperationResponse,
  OperationSummary,
  SubprocessCreated,
  WhoAmI,
  type z,
} from "../support/api_schemas.ts";
import { podmanTest } from "../support/podman.ts";
import { startStalledRegistry } from "../support/stalled_registry.ts";
import {
  startTestServer,
  type TestServer,
  waitForEvent,
  waitOperation,
} from "../support/server.ts";

/** The endpoint index (API spec §2) plus the legacy aliases; each must be exercised. */
const ENDPOINTS = [
  "GET /whoami",
  "GET /images",
  "POST /images/import",
  "PATCH /images/{imageUUID}/tag",
  "DELETE /images/{imageUUID}/tag",
  "POST /files",
  "GET /files",
  "GET /files/{sha256}",
  "HEAD /files/{sha256}",
  "POST /instances",
  "GET /operations",
  "GET /operations/{operationId}",
  "DELETE /operations/{operationId}",
  "GET /operations/{operationId}/events",
  "POST /operations/{operationId}/subprocesses",
  "GET /operations/{operationId}/subprocesses/{spid}",
  "DELETE /operations/{operationId}/subprocesses/{spid}",
  "POST /operations/{operationId}/subprocesses/{spid}/stdin",
  "GET /inspect/?tag=",
  "GET /inspect/{image_uuid}/",
  "GET /inspect/{image_uuid}/list",
  "GET /inspect/{image_uuid}/download",
  "HEAD /inspect/{image_uuid}/download",
  "GET /inspect/{image_uuid}/archive",
  "HEAD /inspect/{image_uuid}/archive",
  "GET /inspect/{image_uuid}/grep",
  "GET /files?sha256=",
  "HEAD /files?uuid=",
];

interface Call {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  token?: string | null;
  /** The expected status. */
  status: number;
  /** Validates the JSON body (errors are always validated as ErrorBody). */
  schema?: z.ZodType;
}

/** Drives the API over HTTP, validating every answer and recording which endpoint it hit. */
class Conformance {
  readonly covered = new Set<string>();
  constructor(private readonly s: TestServer) {}

  async call(endpoint: string, path: string, call: Call) {
    const method = call.method ?? endpoint.split(" ")[0];
    const response = await this.s.fetch(path, {
      method,
      token: call.token,
      headers: call.headers,
      body: call.body === undefined
        ? undefined
        : call.body instanceof Uint8Array
        ? call.body as Uint8Array<ArrayBuffer>
        : JSON.stringify(call.body),
    });
    const where = `${method} ${path}`;
    assertEquals(response.status, call.status, `${where}: status`);
    this.covered.add(endpoint);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (method === "HEAD" || response.status === 204 || response.status === 202) {
      assertEquals(bytes.length, 0, `${where}: no body`);
      assertEquals(response.headers.get("content-encoding"), null, `${where}: no encoding`);
      return { response, json: undefined as unknown, bytes };
    }
    const type = response.headers.get("content-type") ?? "";
    let json: unknown;
    if (type.startsWith("application/json")) {
      json = JSON.parse(new TextDecoder().decode(bytes));
      const schema = response.status >= 400 ? ErrorBody : call.schema;
      if (schema) expectShape(schema, json, where);
      if (response.status >= 400) assertEquals((json as { status: number }).status, call.status);
    } else {
      assert(!call.schema, `${where}: expected JSON, got ${type}`);
    }
    return { response, json, bytes };
  }

  /** Validates an operation in the state it is in: record, list row and event log. */
  async operation(uuid: string, status: string): Promise<z.infer<typeof OperationSummary>> {
    const { json } = await this.call("GET /operations/{operationId}", `/operations/${uuid}`, {
      status: 200,
      schema: OperationResponse,
    });
    const op = json as z.infer<typeof OperationSummary>;
    assertEquals(op.status, status, `operation ${uuid}`);
    const { json: list } = await this.call("GET /operations", "/operations?limit=1000", {
      status: 200,
      schema: OperationList,
    });
    const row = (list as z.infer<typeof OperationList>).find((item) => item.uuid === uuid);
    assertEquals(row?.status, status, `list row of ${uuid}`);
    const events = `/operations/${uuid}/events`;
    if (status === "PENDING") {
      const { response } = await this.call("GET /operations/{operationId}/events", events, {
        status: 425,
      });
      assertEquals(response.headers.get("retry-after"), "1");
      return op;
    }
    const { bytes, response } = await this.call("GET /operations/{operationId}/events", events, {
      status: 200,
    });
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    const frames = new TextDecoder().decode(bytes).split("\n\n").filter(Boolean);
    const parsed = frames.map((frame, index) => {
      const lines = Object.fromEntries(
        frame.split("\n").map((
          line,
        ) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
      );
      const event = expectShape(OperationEvent, JSON.parse(lines.data), `${events} frame ${index}`);
      assertEquals([Number(lines.id), lines.event], [event.id, event.type], "id:/event: lines");
      assertEquals(event.id, index, "ids from 0, in order");
      return event;
    });
    if (["SUCCESS", "FAILED", "CANCELLED"].includes(status)) {
      assertEquals(parsed.at(-1)?.type, "completion");
      assertEquals(parsed.at(-1)?.data.status, status);
    } else {
      assert(parsed.every((event) => event.type !== "completion"));
    }
    return op;
  }
}

podmanTest(
  "conformance: every endpoint's responses match the API schemas, in every state",
  async (t) => {
    const registry = await startStalledRegistry();
    const s = await startTestServer({
      busybox: true,
      concurrency: 1,
      podmanEnv: registry.podmanEnv,
    });
    const api = new Conformance(s);
    try {
      await t.step("the schemas reject what typed clients reject", () => {
        const bad = [
          [OperationSummary, { uuid: "x", duration: null }],
          [OperationSummary, { uuid: "x", image_size: null }],
          [OperationSummary, { uuid: "x", result_image_uuid: null }],
          [OperationSummary, { uuid: "x", duration: "1.5" }],
          [WhoAmI, { token_uuid: "x", permissions: {}, operations_stat: {} }],
          [FileResponse, { uuid: "x", sha256: "y", size: 1.5 }],
          [ErrorBody, { status: 400 }],
        ] as const;
        for (const [schema, value] of bad) {
          let failed = false;
          try {
            expectShape(schema, value, "self-check");
          } catch {
            failed = true;
          }
          assert(failed, `the schema accepts ${JSON.stringify(value)}`);
        }
      });

      await t.step("whoami, errors, auth", async () => {
        await api.call("GET /whoami", "/whoami", { status: 200, schema: WhoAmI });
        await api.call("GET /whoami", "/whoami", { status: 401, token: null });
        await api.call("GET /whoami", "/whoami", { method: "POST", status: 405 });
        await api.call("GET /images", "/images?limit=0", { status: 400 });
        await api.call("GET /images", "/nowhere", { status: 404 });
      });

      let file: z.infer<typeof FileResponse>;
      await t.step("files", async () => {
        const upload = await api.call("POST /files", "/files", {
          body: new TextEncoder().encode("hello conformance\n"),
          headers: { "Content-Type": "application/octet-stream" },
          status: 201,
          schema: FileResponse,
        });
        file = upload.json as z.infer<typeof FileResponse>;
        await api.call("GET /files/{sha256}", `/files/${file.sha256}`, {
          status: 200,
          schema: FileRecord,
        });
        await api.call("GET /files/{sha256}", `/files/${"0".repeat(64)}`, { status: 404 });
        await api.call("HEAD /files/{sha256}", `/files/${file.sha256}`, { status: 200 });
        await api.call("HEAD /files/{sha256}", `/files/${"0".repeat(64)}`, { status: 404 });
        await api.call("GET /files", "/files?limit=10&offset=0&since=1h", {
          status: 200,
          schema: FilesList,
        });
        await api.call("GET /files?sha256=", `/files?sha256=${file.sha256}`, {
          status: 200,
          schema: FileResponse,
        });
        await api.call("HEAD /files?uuid=", `/files?uuid=${file.uuid}`, { status: 200 });
      });

      await t.step("images and tags", async () => {
        await api.call("GET /images", "/images", { status: 200, schema: ImageList });
        await api.call("GET /images", "/images?tagged=1&tag=busybox&limit=1&offset=0", {
          status: 200,
          schema: ImageList,
        });
        await api.call("PATCH /images/{imageUUID}/tag", `/images/${s.busybox}/tag`, {
          body: { tag: "conformance:1" },
          status: 200,
          schema: Image,
        });
        const lookup = await api.call("GET /inspect/?tag=", "/inspect/?tag=conformance:1", {
          status: 302,
        });
        assertEquals(lookup.response.headers.get("location"), `${s.busybox}/`);
        await api.call("GET /inspect/?tag=", "/inspect/?tag=absent:1", { status: 404 });
        await api.call("GET /inspect/{image_uuid}/", `/inspect/${s.busybox}/`, {
          status: 200,
          schema: Image,
        });
        await api.call(
          "DELETE /images/{imageUUID}/tag",
          `/images/${s.busybox}/tag?tag=conformance:1`,
          {
            status: 204,
          },
        );
        await api.call("DELETE /images/{imageUUID}/tag", `/images/${crypto.randomUUID()}/tag`, {
          status: 404,
        });
        await api.call("PATCH /images/{imageUUID}/tag", `/images/${s.busybox}/tag`, {
          body: { tag: "busybox:test" },
          status: 200,
          schema: Image,
        });
      });

      await t.step("inspect: list, download, archive, grep", async () => {
        const image = `/inspect/${s.busybox}`;
        await api.call("GET /inspect/{image_uuid}/list", `${image}/list?path=/etc`, {
          status: 200,
          schema: DirectoryList,
        });
        const text = await api.call(
          "GET /inspect/{image_uuid}/list",
          `${image}/list?path=/&text=1`,
          {
            status: 200,
          },
        );
        assertMatch(text.response.headers.get("content-type")!, /^text\/plain/);
        await api.call("GET /inspect/{image_uuid}/list", `${image}/list?path=/nope`, {
          status: 404,
        });
        const download = await api.call(
          "GET /inspect/{image_uuid}/download",
          `${image}/download?path=/etc/passwd`,
          {
            status: 200,
          },
        );
        assertEquals(download.response.headers.get("content-type"), "application/octet-stream");
        await api.call("GET /inspect/{image_uuid}/download", `${image}/download?path=/etc`, {
          status: 422,
        });
        const headOfDownload = await api.call(
          "HEAD /inspect/{image_uuid}/download",
          `${image}/download?path=/etc/passwd`,
          {
            status: 200,
          },
        );
        // GET's headers: the file's type and size (was no type and a length of 0).
        assertEquals(
          ["content-type", "content-length"].map((h) => headOfDownload.response.headers.get(h)),
          ["application/octet-stream", String(download.bytes.length)],
        );
        await api.call("HEAD /inspect/{image_uuid}/download", `${image}/download?path=/nope`, {
          status: 404,
        });
        const archive = await api.call(
          "GET /inspect/{image_uuid}/archive",
          `${image}/archive?path=/etc`,
          {
            status: 200,
          },
        );
        assertEquals(archive.response.headers.get("content-type"), "application/x-tar");
        const headOfArchive = await api.call(
          "HEAD /inspect/{image_uuid}/archive",
          `${image}/archive?path=/etc`,
          { status: 200 },
        );
        assertEquals(headOfArchive.response.headers.get("content-type"), "application/x-tar");
        await api.call("HEAD /inspect/{image_uuid}/archive", `${image}/archive?path=/nope`, {
          status: 404,
        });
        const grep = await api.call(
          "GET /inspect/{image_uuid}/grep",
          `${image}/grep?pattern=root&path=/etc`,
          {
            status: 200,
            schema: GrepResult,
          },
        );
        assert((grep.json as z.infer<typeof GrepResult>).matches.length > 0);
        await api.call("GET /inspect/{image_uuid}/grep", `${image}/grep?path=/etc`, {
          status: 400,
        });
      });

      await t.step("instances and imports in every state; subprocesses", async () => {
        // Setup's import of the busybox rootfs: SUCCESS.
        const imports = await s.client.listOperations({ kind: "image_import" });
        await api.operation(imports[0].uuid, "SUCCESS");

        const spawn = async (body: Record<string, unknown>) => {
          const { json, response } = await api.call("POST /instances", "/instances", {
            body: { image: s.busybox, ...body },
            status: 201,
            schema: InstanceSpawnResponse,
          });
          const uuid = (json as { uuid: string }).uuid;
          assertEquals(response.headers.get("location"), `/v1/operations/${uuid}`);
          return uuid;
        };
        const importing = async (url: string) => {
          const { json, response } = await api.call("POST /images/import", "/images/import", {
            body: { registry: { url } },
            status: 201,
            schema: ImportResponse,
          });
          const uuid = (json as { uuid: string }).uuid;
          assertEquals(response.headers.get("location"), `/v1/operations/${uuid}`);
          return uuid;
        };
        await api.call("POST /instances", "/instances", {
          body: { image: s.busybox },
          status: 400,
        });
        await api.call("POST /images/import", "/images/import", {
          body: { registry: { url: "docker://file:///x.tar:latest" } },
          status: 400,
        });

        // The one slot is held by a running instance: everything after it waits.
        const holder = await spawn({
          command: "echo up; exec sleep 120",
          shell: true,
          disposable: true,
        });
        await waitForEvent(s.client, holder, (e) => e.type === "stdout" && e.spid === 1);
        await api.operation(holder, "EXECUTING");
        const queued = await spawn({ command: "true" });
        await api.operation(queued, "PENDING");
        const stalled = `docker://${registry.reference}`;
        const queuedImport = await importing(stalled);
        await api.operation(queuedImport, "PENDING");
        const cancelledImport = await importing(stalled);
        await api.operation(cancelledImport, "PENDING");
        await api.call("DELETE /operations/{operationId}", `/operations/${cancelledImport}`, {
          status: 202,
        });
        await api.operation(cancelledImport, "CANCELLED");
        await api.call("DELETE /operations/{operationId}", `/operations/${queued}`, {
          status: 202,
        });
        await api.operation(queued, "CANCELLED");
        await api.call("DELETE /operations/{operationId}", `/operations/${queued}`, {
          status: 409,
        });

        // Subprocesses of the running instance.
        const subprocesses = `/operations/${holder}/subprocesses`;
        const created = await api.call(
          "POST /operations/{operationId}/subprocesses",
          subprocesses,
          {
            body: { command: "echo sub; echo err >&2", shell: true },
            status: 201,
            schema: SubprocessCreated,
          },
        );
        const spid = (created.json as { spid: number }).spid;
        assertEquals(created.response.headers.get("location"), `/v1${subprocesses}/${spid}`);
        await waitForEvent(s.client, holder, (e) => e.type === "exit" && e.spid === spid);
        await api.call(
          "GET /operations/{operationId}/subprocesses/{spid}",
          `${subprocesses}/${spid}`,
          {
            status: 200,
            schema: InstanceResult,
          },
        );
        const open = await api.call("POST /operations/{operationId}/subprocesses", subprocesses, {
          body: { command: "cat", stdin: { value: "", close: false } },
          status: 201,
          schema: SubprocessCreated,
        });
        const catSpid = (open.json as { spid: number }).spid;
        const running = await api.call(
          "GET /operations/{operationId}/subprocesses/{spid}",
          `${subprocesses}/${catSpid}`,
          {
            status: 200,
            schema: InstanceResult,
          },
        );
        assertEquals((running.json as z.infer<typeof InstanceResult>).state?.exit_code, -1);
        await api.call(
          "POST /operations/{operationId}/subprocesses/{spid}/stdin",
          `${subprocesses}/${catSpid}/stdin`,
          {
            body: { value: "line\n" },
            status: 204,
          },
        );
        await waitForEvent(s.client, holder, (e) => e.type === "stdout" && e.spid === catSpid);
        await api.call(
          "DELETE /operations/{operationId}/subprocesses/{spid}",
          `${subprocesses}/${catSpid}?signal=TERM`,
          {
            status: 204,
          },
        );
        await waitForEvent(s.client, holder, (e) => e.type === "exit" && e.spid === catSpid);
        await api.call(
          "DELETE /operations/{operationId}/subprocesses/{spid}",
          `${subprocesses}/${catSpid}`,
          {
            status: 409,
          },
        );
        await api.call(
          "POST /operations/{operationId}/subprocesses/{spid}/stdin",
          `${subprocesses}/${catSpid}/stdin`,
          {
            body: { value: "late" },
            status: 409,
          },
        );
        await api.call("GET /operations/{operationId}/subprocesses/{spid}", `${subprocesses}/99`, {
          status: 404,
        });
        await api.call(
          "POST /operations/{operationId}/subprocesses",
          `/operations/${queued}/subprocesses`,
          {
            body: { command: "true" },
            status: 409,
          },
        );
        await api.operation(holder, "EXECUTING");

        // Cancel the holder: the import starts, its pull waits on the registry: EXECUTING.
        await api.call("DELETE /operations/{operationId}", `/operations/${holder}`, {
          status: 202,
        });
        await waitOperation(s.client, holder);
        await api.operation(holder, "CANCELLED");
        await registry.reached;
        await api.operation(queuedImport, "EXECUTING");
        await api.call("DELETE /operations/{operationId}", `/operations/${queuedImport}`, {
          status: 202,
        });
        await waitOperation(s.client, queuedImport);
        await api.operation(queuedImport, "CANCELLED");

        // SUCCESS and FAILED runs and a FAILED import.
        const succeeded = await spawn({ command: "echo out; echo err >&2", shell: true });
        await waitOperation(s.client, succeeded);
        const success = await api.operation(succeeded, "SUCCESS");
        assert(success.result_image_uuid);
        await api.call(
          "GET /operations/{operationId}/subprocesses/{spid}",
          `/operations/${succeeded}/subprocesses/1`,
          {
            status: 200,
            schema: InstanceResult,
          },
        );
        const capped = await spawn({
          command: "head -c 2000000 /dev/zero > /root/blob",
          shell: true,
          resources_limits: { max_layer_bytes: 1000 },
          stdin: { value: "aGk=", encoding: "base64" },
          files: { "/data/in.txt": { uuid: file.uuid, mode: "0o100644" } },
          env: { KEY: "value", API_TOKEN: "secret" },
        });
        await waitOperation(s.client, capped);
        await api.operation(capped, "FAILED");
        const timedOut = await spawn({
          command: "sleep",
          args: ["30"],
          timeout: 1,
          disposable: true,
        });
        await waitOperation(s.client, timedOut);
        await api.operation(timedOut, "FAILED");
        const failedImport = await importing("file:///nonexistent/rootfs.tar");
        await waitOperation(s.client, failedImport);
        await api.operation(failedImport, "FAILED");

        await api.call(
          "GET /operations",
          "/operations?status=FAILED&kind=instance&since=1h&limit=5",
          {
            status: 200,
            schema: OperationList,
          },
        );
        await api.call("GET /operations/{operationId}", `/operations/${crypto.randomUUID()}`, {
          status: 404,
        });
        await api.call(
          "GET /operations/{operationId}/events",
          `/operations/${succeeded}/events?follow=1`,
          {
            headers: { "Last-Event-Id": "0" },
            status: 200,
          },
        );
        await api.call("GET /whoami", "/whoami", { status: 200, schema: WhoAmI });
      });

      await t.step("every endpoint of the index was exercised", () => {
        assertEquals(ENDPOINTS.filter((endpoint) => !api.covered.has(endpoint)), []);
      });
    } finally {
      await s.cleanup();
      await registry.close();
    }
  },
);
