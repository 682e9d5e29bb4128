// A resume-aware event log for one operation on the FakeApi: `GET …/events` honours
// Last-Event-Id and `follow`, and each connection can be cut short in a scripted way.
// `GET /operations/{uuid}` reports EXECUTING until the completion has been sent.

import type { OperationEvent } from "../../src/api/models.ts";
import { encodeStreamRepr } from "../../src/api/stream_repr.ts";
import type { FakeApi, StreamStep } from "./fake_api.ts";

export type Interruption = "drop" | "truncateGzip" | "sseError" | "close" | "keepalivesOnly";

export interface EventLogOptions {
  /** Connection i (0-based) ends after `after` events, the way `how` says. Later ones finish. */
  interruptions?: { after: number; how: Interruption }[];
  /** Report a terminal status from this many opened connections on, even before completion. */
  terminalAfterConnections?: number;
  /** Extra fields of the operation record. */
  operation?: Record<string, unknown>;
}

export interface FakeEventLog {
  connections: { lastEventId: string | null; follow: string | null }[];
  completionSent: boolean;
}

let nextTs = 0;

/** Builds the typical event sequence of a run whose main process writes `chunks`. */
export function runEvents(
  chunks: { stream: "stdout" | "stderr"; bytes: Uint8Array | string }[],
  exit: { code: number; timed_out?: boolean } = { code: 0 },
  status = "SUCCESS",
): OperationEvent[] {
  const ts = () => `2026-06-08T20:00:${String(nextTs++ % 60).padStart(2, "0")}Z`;
  const events: OperationEvent[] = [{
    id: 0,
    ts: ts(),
    spid: 0,
    type: "init",
    data: { init_pid: 1 },
  }];
  events.push({ id: 1, ts: ts(), spid: 1, type: "spawn", data: { pid: 7, command: "sh" } });
  for (const chunk of chunks) {
    const bytes = typeof chunk.bytes === "string"
      ? new TextEncoder().encode(chunk.bytes)
      : chunk.bytes;
    events.push({
      id: events.length,
      ts: ts(),
      spid: 1,
      type: chunk.stream,
      data: encodeStreamRepr(bytes) as unknown as Record<string, unknown>,
    });
  }
  events.push({
    id: events.length,
    ts: ts(),
    spid: 1,
    type: "exit",
    data: {
      pid: 7,
      code: exit.code,
      signal: -1,
      timed_out: exit.timed_out ?? false,
      duration_ms: 5,
      resources: {},
    },
  });
  events.push({
    id: events.length,
    ts: ts(),
    spid: 0,
    type: "completion",
    data: { status, result_image_uuid: null, error: null, duration_ms: 1500 },
  });
  return events;
}

export function installEventLog(
  fake: FakeApi,
  uuid: string,
  events: OperationEvent[],
  options: EventLogOptions = {},
): FakeEventLog {
  const state: FakeEventLog = { connections: [], completionSent: false };
  const completion = events.find((e) => e.type === "completion");
  fake.on("GET", `/v1/operations/${uuid}/events`, (request) => {
    const index = state.connections.length;
    const lastEventId = request.headers.get("last-event-id");
    state.connections.push({ lastEventId, follow: request.query.get("follow") });
    const after = lastEventId === null ? -1 : Number(lastEventId);
    const remaining = events.filter((e) => e.id > after);
    const cut = options.interruptions?.[index];
    const steps: StreamStep[] = [];
    const deliver = cut ? remaining.slice(0, cut.after) : remaining;
    for (const event of deliver) {
      steps.push({ frame: event });
      if (event.type === "completion") steps.push({ signal: () => (state.completionSent = true) });
    }
    if (cut?.how === "drop") steps.push({ drop: true });
    if (cut?.how === "truncateGzip") steps.push({ truncateGzip: true });
    if (cut?.how === "sseError") {
      steps.push({ sseError: "upstream event source closed unexpectedly" });
    }
    if (cut?.how === "keepalivesOnly") {
      for (let i = 0; i < 200; i++) steps.push({ keepalive: true }, { delayMs: 10 });
    }
    return { events: steps };
  });
  fake.on("GET", `/v1/operations/${uuid}`, () => {
    const terminal = state.completionSent ||
      (options.terminalAfterConnections !== undefined &&
        state.connections.length >= options.terminalAfterConnections);
    const data = (completion?.data ?? {}) as Record<string, unknown>;
    return {
      json: {
        uuid,
        kind: "instance",
        status: terminal ? data.status ?? "SUCCESS" : "EXECUTING",
        error: terminal ? data.error ?? null : null,
        duration: terminal ? 1.5 : null,
        result_image_uuid: terminal ? data.result_image_uuid ?? null : null,
        ...options.operation,
      },
    };
  });
  return state;
}
