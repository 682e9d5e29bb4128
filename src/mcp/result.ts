// Tool answers: a JSON object (as text for every client, and as structured content), or a tool
// error (`isError`) with one readable line. Nothing a tool throws reaches the protocol layer.

import type { CallToolResult } from "../deps.ts";
import { ContreeError } from "../errors.ts";
import type { Logger } from "../log.ts";

export type ToolOutput = Record<string, unknown>;

/** Past this, the text block is compact JSON: indentation of megabytes only adds to them. */
const PRETTY_LIMIT = 64 * 1024;

export function toolResult(value: ToolOutput): CallToolResult {
  const compact = JSON.stringify(value);
  const text = compact.length > PRETTY_LIMIT ? compact : JSON.stringify(value, null, 2);
  return { content: [{ type: "text", text }], structuredContent: value };
}

/** One line for an error: our typed errors say it themselves; anything else is unexpected. */
export function errorText(error: unknown): string {
  if (error instanceof ContreeError) return error.message;
  if (error instanceof Deno.errors.NotFound) return `Not found: ${error.message}`;
  if (error instanceof Error) return `Unexpected error: ${error.message}`;
  return `Unexpected error: ${String(error)}`;
}

export function toolError(error: unknown): CallToolResult {
  return { content: [{ type: "text", text: errorText(error) }], isError: true };
}

/** Runs a tool body; its failure becomes a tool error (logged at debug level, with the stack). */
export async function guarded(
  name: string,
  log: Logger,
  body: () => Promise<ToolOutput>,
): Promise<CallToolResult> {
  try {
    return toolResult(await body());
  } catch (error) {
    log.debug(`tool ${name} failed: ${(error as Error)?.stack ?? String(error)}`);
    return toolError(error);
  }
}
