// A stateful operations collection on the FakeApi: list with status/kind filters and offset
// paging, get, and cancel (409 when already terminal).

import type { Operation } from "../../src/api/models.ts";
import { isTerminalStatus } from "../../src/api/models.ts";
import type { FakeApi } from "./fake_api.ts";

export class FakeOperations {
  readonly byUuid = new Map<string, Operation>();

  constructor(fake: FakeApi, operations: Operation[] = []) {
    for (const op of operations) this.byUuid.set(op.uuid, op);
    fake.on("GET", "/v1/operations", (request) => {
      const limit = Number(request.query.get("limit") ?? 100);
      const offset = Number(request.query.get("offset") ?? 0);
      if (!(limit >= 1 && limit <= 1000)) {
        return { status: 400, json: { error: "limit must be between 1 and 1000", status: 400 } };
      }
      const status = request.query.get("status");
      const kind = request.query.get("kind");
      const rows = [...this.byUuid.values()]
        .filter((op) => !status || op.status === status)
        .filter((op) => !kind || op.kind === kind);
      return { json: rows.slice(offset, offset + limit) };
    });
    fake.on("GET", "/v1/operations/:uuid", (_request, params) => {
      const op = this.byUuid.get(params.uuid);
      return op
        ? { json: op }
        : { status: 404, json: { error: "operation not found", status: 404 } };
    });
    fake.on("DELETE", "/v1/operations/:uuid", (_request, params) => {
      const op = this.byUuid.get(params.uuid);
      if (!op) return { status: 404, json: { error: "operation not found", status: 404 } };
      if (isTerminalStatus(op.status)) {
        return { status: 409, json: { error: "operation is not cancellable", status: 409 } };
      }
      op.status = "CANCELLED";
      return { status: 202 };
    });
  }

  add(op: Operation): void {
    this.byUuid.set(op.uuid, op);
  }

  set(uuid: string, fields: Partial<Operation>): void {
    Object.assign(this.byUuid.get(uuid)!, fields);
  }
}

/** A finished instance operation with an exit code and captured output. */
export function finishedOperation(
  uuid: string,
  status: string,
  exitCode: number,
  stdout = "",
): Operation {
  return {
    uuid,
    kind: "instance",
    status,
    error: status === "SUCCESS" ? null : "failed",
    created_at: "2026-06-08T20:00:00Z",
    duration: 1.5,
    metadata: {
      command: "x",
      image: "i",
      result: {
        state: { exit_code: exitCode, timed_out: false },
        stdout: { value: stdout, encoding: "ascii" },
        stderr: { value: "", encoding: "ascii" },
      },
    },
    result: { image: null, tag: null },
  };
}
