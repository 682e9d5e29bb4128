// `contree server start` as a real subprocess in the foreground (crash and restart tests).

import { spawnCli } from "./cli.ts";

/**
 * Starts `contree server start --port <port>` and resolves once it listens; `stderr()` resolves
 * to its whole log once it has exited.
 */
export async function startServerProcess(env: Record<string, string>, port = 0) {
  const child = spawnCli(["server", "start", "--port", String(port)], { env });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!stderr.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server did not start:\n${stderr}`);
    stderr += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return stderr;
      stderr += value;
    }
  })();
  return { child, stderr: () => rest };
}
