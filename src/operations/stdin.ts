// Piped stdin for `run`: read only when data is there to read. An agent or CI job often runs
// with an idle, never-closed stdin pipe; waiting on it would hang the command (the reference
// uses a zero-timeout select for the same reason).

import { concatBytes } from "../bytes.ts";
import type { Source } from "../io.ts";

/** How long the first chunk may take to show up before stdin counts as idle. */
export const STDIN_GRACE_MS = 100;

/** All of stdin when it is not a terminal and has data (or EOF) ready; undefined otherwise. */
export async function readAvailableStdin(
  stdin: Source,
  graceMs = STDIN_GRACE_MS,
): Promise<Uint8Array | undefined> {
  if (stdin.isTerminal) return undefined;
  const reader = stdin.readable().getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<"idle">((
    resolve,
  ) => (timer = setTimeout(() => resolve("idle"), graceMs)));
  const first = await Promise.race([reader.read(), idle]);
  clearTimeout(timer);
  if (first === "idle") {
    reader.releaseLock();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let result = first;
  while (!result.done) {
    chunks.push(result.value);
    result = await reader.read();
  }
  reader.releaseLock();
  return concatBytes(chunks);
}
