// The MCP server in-process (the SDK's in-memory transport): bad input and a backend that is
// down give tool errors with one readable line, and the server keeps answering.

import type { GuideSection } from "../../src/mcp/deps.ts";
import { operationStatus } from "../../src/mcp/operations.ts";
import { CapturedStream, mcpContactPolicy } from "../../src/mcp/run.ts";
import { envFromRecord } from "../../src/env.ts";
import { LIST_LIMIT, utf8 } from "../../src/mcp/files.ts";
import { evictableSession } from "../../src/mcp/serve.ts";
import { assertEquals, assertStringIncludes, assertThrows } from "../support/assert.ts";
import { directoriesListing, FakeApi } from "../support/fake_api.ts";
import { type InProcessMcp, inProcessMcp, ok, toolError } from "../support/mcp.ts";

const GUIDES: GuideSection[] = [
  { name: "core_workflow", aliases: ["core"], title: "Core workflow", text: "use, run, rollback" },
  { name: "sessions", aliases: [], title: "Sessions", text: "history" },
];

/** A server whose API is a closed port (nothing listens on 127.0.0.1:9 here). */
function downServer(): Promise<InProcessMcp> {
  return inProcessMcp({ apiUrl: "http://127.0.0.1:9", token: "t", guides: GUIDES });
}

Deno.test("a backend that is down is a tool error; the server keeps serving", async () => {
  const { client, close } = await downServer();
  try {
    for (
      const [name, args] of [
        ["list_images", {}],
        ["get_operation", { operation_id: "00000000-0000-4000-8000-000000000000" }],
        ["run", { command: "true", image: "00000000-0000-4000-8000-000000000001" }],
        ["upload", { content: "x" }],
      ] as const
    ) {
      const message = await toolError(client, name, args);
      assertStringIncludes(message, "Network error", name);
      assertEquals(message.split("\n").length, 1, message);
    }
    const guide = await ok(client, "get_guide", { section: "core" });
    assertEquals(guide.section, "core_workflow");
    assertStringIncludes(guide.content, "use, run, rollback");
    // Prompts written for contree-mcp ask for its section names.
    assertEquals((await ok(client, "get_guide", { section: "state" })).section, "sessions");
  } finally {
    await close();
  }
});

Deno.test("bad input is refused before anything is sent or written", async () => {
  const { client, close, dir } = await downServer();
  try {
    assertStringIncludes(
      await toolError(client, "run", { command: ["ls"] }),
      "Invalid arguments for tool run",
    );
    assertStringIncludes(
      await toolError(client, "get_guide", { section: "nope" }),
      "Available sections: core_workflow, sessions",
    );
    assertStringIncludes(
      await toolError(client, "upload", { content: "a", content_base64: "YQ==" }),
      "exactly one of",
    );
    assertStringIncludes(
      await toolError(client, "upload", { path: "relative.txt" }),
      "must be an absolute path",
    );
    assertStringIncludes(
      await toolError(client, "rsync", { source: dir, destination: "app" }),
      "destination must be an absolute path in the sandbox",
    );
    // In the tool's own words, not run -F's syntax.
    assertEquals(
      await toolError(client, "rsync", { source: `${dir}/nope`, destination: "/app" }),
      `source ${dir}/nope does not exist`,
    );
    assertStringIncludes(
      await toolError(client, "download", { image: "x", path: "/a", destination: "out" }),
      "destination must be an absolute path",
    );
    assertStringIncludes(
      await toolError(client, "run", {
        command: "true",
        image: "00000000-0000-4000-8000-000000000001",
        directory_state_id: 7,
      }),
      "Directory state not found: 7",
    );
    assertStringIncludes(
      await toolError(client, "list_operations", { status: "sleeping" }),
      "Unknown status 'sleeping'",
    );
    // An answer must fit a host's 10 MiB message: more than 1 MiB per stream is refused.
    assertStringIncludes(
      await toolError(client, "run", { command: "true", truncate_output_at: 2_000_000 }),
      "Invalid arguments for tool run",
    );
    assertStringIncludes(await toolError(client, "session_show"), "No active session");
    assertStringIncludes(await toolError(client, "run", { command: "ls" }), "call `use`");
  } finally {
    await close();
  }
});

Deno.test("run's captured output keeps at most its limit and says so", async () => {
  const shown: string[] = [];
  const stream = new CapturedStream(5, (text) => Promise.resolve(void shown.push(text)));
  await stream.write("abc");
  await stream.write(new Uint8Array([0xe2, 0x82])); // half of "€": decoded with the rest
  await stream.write(new Uint8Array([0xac, 0x0a]));
  assertEquals(shown.join(""), "abc€\n");
  assertEquals(stream.clipped, true);
  // Five bytes kept: whole, a cut character shows as U+FFFD; cut (the answer says truncated), it
  // is left out, as read_file leaves it out.
  assertEquals(stream.text(), "abc\uFFFD");
  assertEquals(stream.text(true), "abc");
});

Deno.test("statuses as agents write them", () => {
  assertEquals(operationStatus("success"), "SUCCESS");
  assertEquals(operationStatus("running"), "EXECUTING");
  assertEquals(operationStatus("C"), "CANCELLED");
  assertThrows(() => operationStatus("done"));
});

Deno.test("read_file: the first MiB of a UTF-8 file stays text when the cut splits a character", () => {
  const text = "ééé".repeat(10);
  const bytes = new TextEncoder().encode(text);
  const cut = bytes.subarray(0, bytes.length - 1); // inside the last é
  // Was: base64, since the partial character failed the decoding.
  assertEquals(utf8(cut, true), text.slice(0, -1));
  assertEquals(utf8(cut), undefined, "a whole file ending inside a character is not text");
  assertEquals(utf8(new Uint8Array([0xff, 0x41]), true), undefined);
});

Deno.test("HTTP sessions: at the limit, the one unused longest (over 5 min) makes room", () => {
  const minutes = (n: number) => n * 60_000;
  const now = minutes(60);
  const sessions = new Map([
    ["recent", { lastUsed: now - minutes(1) }],
    ["old", { lastUsed: now - minutes(30) }],
    ["older", { lastUsed: now - minutes(40) }],
  ]);
  // Was: none; 64 hosts that quit without DELETE locked every client out until a restart.
  assertEquals(evictableSession(sessions, now), "older");
  sessions.delete("older");
  sessions.delete("old");
  assertEquals(evictableSession(sessions, now), undefined, "a session in use is kept");
});

Deno.test("run waits 2 minutes without contact unless CONTREE_FOLLOW_TIMEOUT says otherwise", () => {
  const env = envFromRecord;
  assertEquals(mcpContactPolicy(env({})).giveUpAfterMs, 120_000);
  assertEquals(mcpContactPolicy(env({ CONTREE_FOLLOW_TIMEOUT: " " })).giveUpAfterMs, 120_000);
  assertEquals(mcpContactPolicy(env({ CONTREE_FOLLOW_TIMEOUT: "0" })).giveUpAfterMs, 0);
  assertEquals(mcpContactPolicy(env({ CONTREE_FOLLOW_TIMEOUT: "900" })).giveUpAfterMs, 900_000);
});

Deno.test("list_files answers with at most LIST_LIMIT entries and counts them all", async () => {
  const fake = FakeApi.start();
  const image = "00000000-0000-4000-8000-0000000000aa";
  const names = (count: number) => Array.from({ length: count }, (_, i) => `d${i}`);
  // Parsed whole (2 MB of JSON), and parsed as it arrives (over 16 MiB), its `path` last: the
  // directory a link at /link leads to, which the entries' paths are under.
  const whole = directoriesListing("/many", names(LIST_LIMIT + 7)).json;
  const { files } = directoriesListing("/", names(120_000)).json as { files: unknown[] };
  const streamed = JSON.stringify({ files, path: "/target" });
  fake.on(
    "GET",
    `/v1/inspect/${image}/list`,
    (request) => request.query.get("path") === "/many" ? { json: whole } : { text: streamed },
  );
  const { client, close } = await inProcessMcp({ apiUrl: fake.url, token: fake.token });
  try {
    const many = await ok(client, "list_files", { image, path: "/many" });
    assertEquals([many.count, many.files.length, many.truncated], [
      LIST_LIMIT + 7,
      LIST_LIMIT,
      true,
    ]);
    assertEquals(many.files[LIST_LIMIT - 1].path, `/many/d${LIST_LIMIT - 1}`);
    const linked = await ok(client, "list_files", { image, path: "/link" });
    assertEquals([linked.path, linked.count, linked.truncated], ["/target", 120_000, true]);
    assertEquals(linked.files[0].path, "/target/d0");
  } finally {
    await close();
    await fake.close();
  }
});
