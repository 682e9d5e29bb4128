// The shapes tools answer with, as contree-mcp defines them (its `OperationOutput`,
// `OperationSummary` and `Image`), so agents written for it read the same fields.

import type { Image, Operation } from "../api/models.ts";
import { decodeStreamRepr } from "../api/stream_repr.ts";
import { operationExitCode, resultImage } from "../operations/outcome.ts";
import type { ToolOutput } from "./result.ts";

function text(repr: unknown): string {
  return new TextDecoder().decode(decodeStreamRepr(repr));
}

function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** A list row: what an operation is, without its output. */
export function operationSummary(operation: Operation): ToolOutput {
  return {
    uuid: operation.uuid,
    kind: nullable(operation.kind),
    status: nullable(operation.status),
    error: operation.error ?? null,
    created_at: operation.created_at ?? "",
    duration: nullable(operation.duration),
    image_size: nullable(operation.image_size),
    consumed_cpu: nullable(operation.consumed_cpu),
    consumed_memory: nullable(operation.consumed_memory),
    image_uuid: nullable(operation.image_uuid),
    result_image_uuid: operation.result_image_uuid ?? null,
  };
}

/** An operation with its result: exit code, output and the image it produced. */
export function operationOutput(operation: Operation): ToolOutput {
  const result = operation.metadata?.result;
  const image = resultImage(operation) ?? null;
  return {
    operation_id: operation.uuid,
    ...operationSummary(operation),
    result: operation.result === undefined || operation.result === null
      ? (image ? { image, tag: null } : null)
      : { image: operation.result.image ?? null, tag: operation.result.tag ?? null },
    result_image: image,
    exit_code: operationExitCode(operation),
    timed_out: result?.state?.timed_out === true,
    stdout: text(result?.stdout),
    stderr: text(result?.stderr),
  };
}

export function imageOutput(image: Image): ToolOutput {
  return {
    uuid: image.uuid,
    tag: image.tag ?? null,
    created_at: image.created_at ?? "",
    operation_uuid: image.operation_uuid ?? null,
  };
}
