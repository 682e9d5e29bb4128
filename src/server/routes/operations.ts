// Instances and operations (API spec §3.4–3.6): spawn, list, show, cancel, the event log, and
// subprocesses inside a running instance.

import { badRequest, HttpError, notFound } from "../errors.ts";
import { acceptsGzip, type Reply, type Router } from "../http.ts";
import { type OutputFiles, type OutputRef, reprValueChunks } from "../outputs.ts";
import { parseFlag, parsePage, parseTimeRange } from "../params.ts";
import { decodeStreamRepr } from "../../api/stream_repr.ts";
import { type InstanceInput, redactEnv } from "../executor.ts";
import { parseExecRequest, parseSpawnRequest, parseStdinWrite } from "../spawn.ts";
import { instanceSpec, parseSignal } from "../subprocesses.ts";
import type { OperationRow } from "../store.ts";
import { type ApiDeps, created, intParam, jsonBody, type Resources } from "./common.ts";

const STATUSES = ["PENDING", "ASSIGNED", "EXECUTING", "SUCCESS", "FAILED", "CANCELLED"];
const KINDS = ["instance", "image_import"];

/**
 * Seconds an operation has run: its stored duration once it ended; for a running one the time
 * since it was assigned a slot; 0 while it is queued. Never null (typed clients model it as a
 * float).
 */
function elapsedSeconds(op: OperationRow, now: number): number {
  if (op.duration !== null) return op.duration;
  if (op.status === "PENDING" || op.started_at === null) return 0;
  return Math.max(0, now - Date.parse(op.started_at)) / 1000;
}

/**
 * The OperationSummary shape (API spec §3.5). Fields the spec types as plain numbers or strings
 * are never null: unknown numbers are 0, and an image an operation does not have (an import's
 * input, the result of a failed run) is left out. `error` is nullable in the spec.
 */
export function operationSummary(op: OperationRow, now: number): Record<string, unknown> {
  return {
    uuid: op.uuid,
    kind: op.kind,
    status: op.status,
    error: op.error,
    created_at: op.created_at,
    duration: elapsedSeconds(op, now),
    image_size: op.image_size ?? 0,
    ...consumed(op),
    ...(op.image_uuid !== null ? { image_uuid: op.image_uuid } : {}),
    ...(op.result_image_uuid !== null ? { result_image_uuid: op.result_image_uuid } : {}),
  };
}

/**
 * `consumed_cpu` (CPU seconds, user and kernel) and `consumed_memory` (the peak, as `max_rss`:
 * KiB; contree-mcp reads it as "max_rss") of a run whose usage was measured (usage.ts); absent
 * otherwise.
 */
function consumed(op: OperationRow): Record<string, number> {
  const result = op.metadata.result as { resources?: Record<string, number> } | undefined;
  const resources = result?.resources;
  if (typeof resources?.user_cpu_time !== "number") return {};
  return {
    consumed_cpu: resources.user_cpu_time + (resources.system_cpu_time ?? 0),
    ...(typeof resources.max_rss === "number" ? { consumed_memory: resources.max_rss } : {}),
  };
}

/**
 * The OperationResponse shape: the summary, `metadata` (its result's stdout/stderr read through
 * `value` from the output files) and `result` (nullable fields).
 */
export function operationJson(
  op: OperationRow,
  now: number,
  value: (ref: OutputRef) => string,
): Record<string, unknown> {
  let metadata = op.metadata;
  const outputs = Object.entries(op.outputs ?? {});
  if (outputs.length > 0) {
    const result = { ...(metadata.result as Record<string, unknown> | undefined) };
    for (const [name, ref] of outputs) {
      result[name] = {
        value: value(ref),
        encoding: ref.ascii ? "ascii" : "base64",
        truncated: ref.truncated,
      };
    }
    metadata = { ...metadata, result };
  }
  return {
    ...operationSummary(op, now),
    metadata,
    result: { image: op.result_image_uuid, tag: op.result_tag },
  };
}

/** Stored output up to this size goes into a buffered record; more is streamed. */
const BUFFERED_OUTPUT_BYTES = 4 << 20;

/**
 * `GET /operations/{id}`: the record with its output read from the output files — buffered when
 * small, else streamed piece by piece so that a record of any size is sent in bounded memory.
 */
function operationReply(op: OperationRow, files: OutputFiles, now: number): Reply {
  const stored = Object.values(op.outputs ?? {}).reduce((sum, ref) => sum + ref.bytes, 0);
  const chunks = (ref: OutputRef, inJson: boolean) => reprValueChunks(files, op.uuid, ref, inJson);
  if (stored <= BUFFERED_OUTPUT_BYTES) {
    return { json: operationJson(op, now, (ref) => [...chunks(ref, false)].join("")) };
  }
  // The JSON text around the values, split where placeholders no stored string holds stand.
  const nonce = crypto.randomUUID();
  const refs: OutputRef[] = [];
  const text = JSON.stringify(
    operationJson(op, now, (ref) => `\0${nonce}:${refs.push(ref) - 1}\0`),
  );
  // In the JSON text a placeholder reads \u0000<nonce>:<n>\u0000; split() keeps the <n>.
  const parts = text.split(new RegExp(`\\\\u0000${nonce}:(\\d+)\\\\u0000`));
  const encoder = new TextEncoder();
  function* pieces(): Generator<string> {
    for (const [index, part] of parts.entries()) {
      if (index % 2 === 0) yield part;
      else yield* chunks(refs[Number(part)], true);
    }
  }
  const iterator = pieces();
  return {
    headers: { "content-type": "application/json" },
    body: new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const next = iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
    }),
  };
}

export function operationRoutes(router: Router, deps: ApiDeps, resources: Resources): void {
  router.on("POST", "/v1/instances", async (req) => {
    resources.accepting();
    const spec = parseSpawnRequest(await jsonBody(req, deps.maxRequestBody), {
      resolveImage: (reference) => deps.images.resolve(reference).uuid,
      fileExists: (uuid) => deps.store.file(uuid) !== undefined,
      maxTimeout: deps.maxTimeout,
      userNamespaceIds: deps.limits.userns?.size,
      maxOutput: deps.maxOutput,
    });
    // Stored and echoed like the spawn event shows it; the clear values reach only the run.
    const shown = { ...spec, env: spec.env && redactEnv(spec.env) };
    const input: InstanceInput = { env: spec.env };
    const op = deps.manager.submit("instance", shown, spec.image, input);
    return created(op.uuid, { uuid: op.uuid, ...shown, status: op.status });
  });

  router.on("GET", "/v1/operations", ({ query }) => {
    const status = query.get("status") || undefined;
    const kind = query.get("kind") || undefined;
    if (status !== undefined && !STATUSES.includes(status)) {
      throw badRequest(`status must be one of ${STATUSES.join(", ")}`);
    }
    if (kind !== undefined && !KINDS.includes(kind)) {
      throw badRequest(`kind must be one of ${KINDS.join(", ")}`);
    }
    const rows = deps.store.operations(
      { ...parseTimeRange(query, deps.now()), status, kind },
      parsePage(query),
    );
    return { json: rows.map((row) => operationSummary(row, deps.now())) };
  });

  router.on(
    "GET",
    "/v1/operations/:uuid",
    ({ params }) => operationReply(resources.operation(params[0]), deps.outputs, deps.now()),
  );

  router.on("DELETE", "/v1/operations/:uuid", ({ params }) => {
    const op = resources.operation(params[0]);
    switch (deps.manager.cancel(op.uuid)) {
      case "cancelling":
        return { status: 202 };
      case "terminal":
        throw new HttpError(409, "operation is not cancellable");
      default:
        throw notFound(`operation not found: ${params[0]}`);
    }
  });

  router.on("GET", "/v1/operations/:uuid/events", ({ params, query, request }) => {
    const op = resources.operation(params[0]);
    const lastEventId = intParam(request.headers.get("last-event-id"), "Last-Event-Id");
    const since = intParam(query.get("since"), "since");
    const spid = intParam(query.get("spid"), "spid");
    if (!deps.events.exists(op.uuid)) {
      throw new HttpError(425, `the event log of operation ${op.uuid} does not exist yet`, {
        "Retry-After": "1",
      });
    }
    // The log encodes its own gzip: readers at one position share the compressed bytes.
    const gzip = acceptsGzip(request);
    return {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
      body: deps.events.stream(op.uuid, {
        after: Math.max(lastEventId ?? -1, since ?? -1),
        spid,
        follow: parseFlag(query, "follow"),
        keepaliveMs: deps.keepaliveMs,
        gzip,
      }),
      gzipped: gzip,
    };
  });

  // Subprocesses (API spec §3.6), by spid: 1 is the main process, 2… the ones started here.
  const spidParam = (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw notFound(`no such process: ${value}`);
    return Number(value);
  };
  const base = "/v1/operations/:uuid/subprocesses";

  router.on("POST", base, async (req) => {
    const op = resources.operation(req.params[0]);
    const spec = parseExecRequest(
      await jsonBody(req, deps.maxRequestBody),
      instanceSpec(op),
      deps.maxOutput,
    );
    const spid = await deps.subprocesses.exec(op, spec);
    return {
      status: 201,
      json: { spid },
      headers: { Location: `/v1/operations/${op.uuid}/subprocesses/${spid}` },
    };
  });

  router.on("GET", `${base}/:spid`, ({ params }) => ({
    json: deps.subprocesses.result(resources.operation(params[0]), spidParam(params[1])),
  }));

  router.on("DELETE", `${base}/:spid`, async ({ params, query }) => {
    const op = resources.operation(params[0]);
    await deps.subprocesses.signal(op, spidParam(params[1]), parseSignal(query.get("signal")));
    return { status: 204 };
  });

  router.on("POST", `${base}/:spid/stdin`, async (req) => {
    const op = resources.operation(req.params[0]);
    const spid = spidParam(req.params[1]);
    const stdin = parseStdinWrite(await jsonBody(req, deps.maxRequestBody));
    await deps.subprocesses.write(op, spid, decodeStreamRepr(stdin), stdin.close === true);
    return { status: 204 };
  });
}
