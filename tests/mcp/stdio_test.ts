// `contree mcp` on stdio against what a host may send: a message past the SDK's 10 MiB limit
// ends the connection with one line and exit 1 (it ended silently, exit 0, mid-session).

import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { spawnCli, tempHome } from "../support/cli.ts";
import { initializeRequest } from "../support/mcp.ts";

Deno.test("mcp stdio: a message over 10 MiB ends the session with a clear line and exit 1", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const initialize = initializeRequest();
    const huge = JSON.stringify({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "upload", arguments: { content: "x".repeat(11 << 20) } },
    });
    const child = spawnCli(["mcp"], {
      env: { CONTREE_HOME: home, CONTREE_URL: "http://127.0.0.1:9", CONTREE_TOKEN: "t" },
      stdin: "",
    });
    const writer = child.stdin.getWriter();
    // The server stops reading once the limit is passed: the rest of the write breaks the pipe.
    await writer.write(new TextEncoder().encode(`${initialize}\n${huge}\n`)).catch(() => {});
    await writer.close().catch(() => {});
    const output = await child.output();
    const result = {
      code: output.code,
      stdout: new TextDecoder().decode(output.stdout),
      stderr: new TextDecoder().decode(output.stderr),
    };
    assertEquals(result.code, 1, result.stderr);
    assertStringIncludes(result.stderr, "the host sent a message over the 10 MiB stdio limit");
    assertEquals(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
    // The initialize was answered: stdout holds JSON-RPC only.
    const lines = result.stdout.trim().split("\n");
    assertEquals(JSON.parse(lines[0]).id, 1);
  } finally {
    await cleanup();
  }
});
