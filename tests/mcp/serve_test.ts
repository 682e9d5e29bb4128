// `contree mcp` as agent hosts use it: the SDK's own Client over stdio (the CLI as a subprocess)
// and over Streamable HTTP, against one local server on podman shared by every step.

import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { apiEnv, spawnCli, tempHome } from "../support/cli.ts";
import {
  callTool,
  CONTREE_MCP_TOOLS,
  initializeRequest,
  type McpClient,
  mcpSdk,
  newClient,
  ok,
  type ProgressNote,
  resultText,
  stdioClient,
  toolError,
} from "../support/mcp.ts";
import { FaultProxy } from "../support/fault_proxy.ts";
import { podmanTest, testPodman } from "../support/podman.ts";
import { UsageMeter } from "../../src/server/usage.ts";
import {
  busyboxRootfsFile,
  startTestServer,
  type TestServer,
  waitOperation,
} from "../support/server.ts";

interface ListedTool {
  name: string;
  description?: string;
  inputSchema: { properties?: Record<string, unknown>; required?: string[] };
}

/** Reads a child's stderr until `pattern` matches; returns the match (the rest keeps draining). */
async function awaitStderr(child: Deno.ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stderr ended before ${pattern}:\n${text}`);
    text += value;
    const match = pattern.exec(text);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return match;
    }
  }
}

async function stdioSteps(t: Deno.TestContext, server: TestServer, env: Record<string, string>) {
  const client: McpClient = await stdioClient(env);
  try {
    await t.step("initialize and tools/list: contree-mcp's names and parameters", async () => {
      assertEquals(client.getServerVersion()?.name, "contree");
      const { tools } = await client.listTools() as { tools: ListedTool[] };
      const listed = Object.fromEntries(
        tools.map((tool) => [tool.name, Object.keys(tool.inputSchema.properties ?? {})]),
      );
      assertEquals(Object.keys(listed).sort(), Object.keys(CONTREE_MCP_TOOLS).sort());
      for (const [name, params] of Object.entries(CONTREE_MCP_TOOLS)) {
        assertEquals(listed[name].sort(), [...params].sort(), name);
      }
      const run = tools.find((tool) => tool.name === "run")!;
      assertEquals(run.inputSchema.required, ["command"]);
      assertStringIncludes(run.description ?? "", "VM");
    });

    let kept = "";
    await t.step("a file made by a kept run is seen by the next run", async () => {
      const first = await ok(client, "run", {
        command: "echo hello > /made-by-mcp && mkfifo /mcp-fifo && ln -s /etc /mcp-etc" +
          " && ln -s mcp-loop /mcp-loop && echo made",
        image: server.busybox,
        disposable: false,
      });
      assertEquals(first.exit_code, 0, JSON.stringify(first));
      assertEquals(first.stdout, "made\n");
      // The whole record, as contree-mcp answers: summary fields no event carries.
      assert(first.created_at !== "" && first.image_uuid !== null, JSON.stringify(first));
      // contree-mcp's fields of what the run used: numbers where the server can measure them.
      const measured = (await UsageMeter.detect(testPodman, "probe")) !== undefined;
      assertEquals(typeof first.consumed_cpu, measured ? "number" : "object");
      assertEquals(typeof first.consumed_memory, measured ? "number" : "object");
      assertEquals(first.status, "SUCCESS");
      kept = first.result_image;
      assert(kept && kept !== server.busybox, JSON.stringify(first));
      const second = await ok(client, "run", { command: "cat /made-by-mcp", image: kept });
      assertEquals(second.stdout, "hello\n");
      // Disposable by default: no new image (the API may name the input image).
      assert([null, kept].includes(second.result_image), JSON.stringify(second));
      const failing = await ok(client, "run", {
        command: "echo oops >&2; exit 3",
        image: server.busybox,
      });
      assertEquals([failing.exit_code, failing.stderr], [3, "oops\n"]);
    });

    await t.step("read_file, list_files and get_image read the kept image", async () => {
      const file = await ok(client, "read_file", { image: kept, path: "/made-by-mcp" });
      assertEquals([file.content, file.encoding, file.bytes_size], ["hello\n", "utf-8", 6]);
      const listing = await ok(client, "list_files", { image: kept, path: "/" });
      const entry = listing.files.find((f: { name: string }) => f.name === "made-by-mcp");
      assertEquals([entry?.path, entry?.type, entry?.size], ["/made-by-mcp", "file", 6]);
      // A FIFO is no file to read (was: "file", and read_file then refused it).
      const fifo = listing.files.find((f: { name: string }) => f.name === "mcp-fifo");
      assertEquals([fifo?.type, fifo?.path], ["fifo", "/mcp-fifo"]);
      // A link loop is said as one (was: "not a regular file", pointing to list_files).
      const loop = await callTool(client, "read_file", { image: kept, path: "/mcp-loop" });
      assertEquals(
        [loop.isError, resultText(loop)],
        [true, "too many levels of symbolic links: /mcp-loop"],
      );
      // Through a linked directory: the entries are under the path the listing says.
      const linked = await ok(client, "list_files", { image: kept, path: "/mcp-etc" });
      const passwd = linked.files.find((f: { name: string }) => f.name === "passwd");
      assertEquals([linked.path, passwd?.path], ["/etc", "/etc/passwd"]);
      const image = await ok(client, "get_image", { image: "tag:busybox:test" });
      assertEquals(image.uuid, server.busybox);
      const tagged = await ok(client, "set_tag", { image_uuid: kept, tag: "mcp/kept:1" });
      assertEquals([tagged.uuid, tagged.tag], [kept, "mcp/kept:1"]);
      const images = await ok(client, "list_images", { tag_prefix: "mcp/" });
      assertEquals(images.images.map((i: { uuid: string }) => i.uuid), [kept]);
    });

    await t.step("grep searches the kept image without a VM", async () => {
      const found = await ok(client, "grep", { image: kept, pattern: "^hel+o$", path: "/" });
      assertEquals(found.matches, [{ path: "/made-by-mcp", line_number: 1, line_text: "hello\n" }]);
      assertEquals([found.path, found.patterns, found.truncated], ["/", ["^hel+o$"], false]);
      const insensitive = await ok(client, "grep", {
        image: kept,
        pattern: "HELLO",
        path: "/made-by-mcp",
        case: "insensitive",
      });
      assertEquals(insensitive.matches.length, 1);
      const globbed = await ok(client, "grep", { image: kept, pattern: "hello", glob: "*.py" });
      assertEquals(globbed.matches, []);
      assertStringIncludes(
        await toolError(client, "grep", { image: kept, pattern: "x", path: "/no/such" }),
        "404",
      );
    });

    await t.step("import_image imports and tags; set_tag removes a tag; whoami", async () => {
      const imported = await ok(client, "import_image", {
        registry_url: `file://${await busyboxRootfsFile()}`,
        tag: "mcp/imported:1",
      });
      assertEquals(imported.status, "SUCCESS", JSON.stringify(imported));
      assertEquals(imported.result_tag, "mcp/imported:1");
      const found = await ok(client, "get_image", { image: "tag:mcp/imported:1" });
      assertEquals(found.uuid, imported.result_image);
      // An empty tag is a mistake, not a removal (it removed the tag).
      assertStringIncludes(
        await toolError(client, "set_tag", { image_uuid: imported.result_image, tag: "" }),
        "The tag must not be empty",
      );
      assertEquals(
        (await ok(client, "get_image", { image: "tag:mcp/imported:1" })).uuid,
        found.uuid,
      );
      const untagged = await ok(client, "set_tag", { image_uuid: imported.result_image });
      assertEquals(untagged.tag, null);
      assertStringIncludes(
        await toolError(client, "get_image", { image: "tag:mcp/imported:1" }),
        "No image with tag",
      );
      const imports = await ok(client, "list_operations", { type: "image_import" });
      assert(
        imports.operations.some((op: { uuid: string }) => op.uuid === imported.operation_id),
      );
      const me = await ok(client, "whoami");
      assertEquals(typeof me.mcp_version, "string");
    });

    await t.step("an uploaded file is read back in a run", async () => {
      // A host file uploaded twice: the second time the server is asked (not the local cache,
      // which may name a file of a server since replaced), and has it.
      const dir = await Deno.makeTempDir({ prefix: "contree-mcp-upload-" });
      try {
        await Deno.writeTextFile(`${dir}/u.txt`, "host file\n");
        const first = await ok(client, "upload", { path: `${dir}/u.txt` });
        const second = await ok(client, "upload", { path: `${dir}/u.txt` });
        assertEquals([first.outcome, second.outcome], ["uploaded", "reused"]);
        assertEquals([second.uuid, second.sha256], [first.uuid, first.sha256]);
        assertEquals(typeof first.sha256, "string");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      const uploaded = await ok(client, "upload", { content: "uploaded text\n" });
      assert(uploaded.uuid, JSON.stringify(uploaded));
      const again = await ok(client, "upload", { content_base64: btoa("uploaded text\n") });
      assertEquals([again.uuid, again.outcome], [uploaded.uuid, "reused"]);
      const read = await ok(client, "run", {
        command: "cat /data/in.txt",
        image: server.busybox,
        files: { "/data/in.txt": uploaded.uuid },
      });
      assertEquals(read.stdout, "uploaded text\n");
    });

    await t.step("rsync uploads what changed; run gets the directory", async () => {
      const dir = await Deno.makeTempDir({ prefix: "contree-mcp-rsync-" });
      try {
        await Deno.mkdir(`${dir}/sub`);
        await Deno.writeTextFile(`${dir}/a.txt`, "alpha\n");
        await Deno.writeTextFile(`${dir}/sub/run.sh`, "echo from-script\n", { mode: 0o755 });
        await Deno.writeTextFile(`${dir}/skip.log`, "no\n");
        await Deno.symlink("/etc/passwd", `${dir}/link`);
        const synced = await ok(client, "rsync", {
          source: dir,
          destination: "/app",
          exclude: ["*.log"],
        });
        assertEquals(Object.keys(synced.files).sort(), ["/app/a.txt", "/app/sub/run.sh"]);
        assertEquals(synced.uploaded, 2);
        const run = await ok(client, "run", {
          command: "cat /app/a.txt && /app/sub/run.sh && ls /app",
          image: server.busybox,
          directory_state_id: synced.directory_state_id,
        });
        assertEquals(run.stdout, "alpha\nfrom-script\na.txt\nsub\n");
        const resynced = await ok(client, "rsync", {
          source: dir,
          destination: "/app",
          exclude: ["*.log"],
        });
        assertEquals([resynced.uploaded, resynced.cached], [0, 2]);
        // A file lands in the destination directory; a ':' is a name, not --file's grammar.
        await Deno.mkdir(`${dir}/a:b`);
        await Deno.writeTextFile(`${dir}/a:b/c.txt`, "colon\n");
        const one = await ok(client, "rsync", { source: `${dir}/a.txt`, destination: "/app" });
        assertEquals(Object.keys(one.files), ["/app/a.txt"]);
        const colon = await ok(client, "rsync", { source: `${dir}/a:b`, destination: "/x:y" });
        assertEquals(Object.keys(colon.files), ["/x:y/c.txt"]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("download copies out; links outside the copy are not followed", async () => {
      const dir = await Deno.makeTempDir({ prefix: "contree-mcp-download-" });
      try {
        const file = await ok(client, "download", {
          image: kept,
          path: "/made-by-mcp",
          destination: `${dir}/out/hello.txt`,
          executable: true,
        });
        assertEquals(file.destination, `${dir}/out/hello.txt`);
        assertEquals(await Deno.readTextFile(`${dir}/out/hello.txt`), "hello\n");
        assertEquals((await Deno.stat(`${dir}/out/hello.txt`)).mode! & 0o777, 0o755);
        const tree = await ok(client, "run", {
          command: "mkdir /tree && echo a > /tree/a && ln -s /etc/passwd /tree/link",
          image: server.busybox,
          disposable: false,
        });
        await ok(client, "download", {
          image: tree.result_image,
          path: "/tree",
          destination: `${dir}/tree`,
        });
        assertEquals(await Deno.readTextFile(`${dir}/tree/a`), "a\n");
        const names = [];
        for await (const entry of Deno.readDir(`${dir}/tree`)) names.push(entry.name);
        assertEquals(names, ["a"]);
        const refused = await toolError(client, "download", {
          image: kept,
          path: "/made-by-mcp",
          destination: "relative/out.txt",
        });
        assertStringIncludes(refused, "must be an absolute path");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("wait=false, then wait_operations and get_operation", async () => {
      const started = await ok(client, "run", {
        command: "echo later",
        image: server.busybox,
        wait: false,
      });
      assert(started.operation_id, JSON.stringify(started));
      const waited = await ok(client, "wait_operations", {
        operation_ids: [started.operation_id],
        // Past a timer's range: it used to fail at once (AbortSignal.timeout refused it).
        timeout: 1e20,
      });
      assertEquals(waited.completed, [started.operation_id]);
      assertEquals(waited.timed_out, false);
      assertEquals(waited.results[started.operation_id].stdout, "later\n");
      const got = await ok(client, "get_operation", { operation_id: started.operation_id });
      assertEquals([got.status, got.exit_code, got.stdout], ["SUCCESS", 0, "later\n"]);
      const listed = await ok(client, "list_operations", { status: "success", limit: 50 });
      assert(listed.operations.some((op: { uuid: string }) => op.uuid === started.operation_id));
    });

    await t.step("wait_operations mode=any returns the first and cancels the rest", async () => {
      const slow = await ok(client, "run", {
        command: "sleep 60",
        image: server.busybox,
        timeout: 120,
        wait: false,
      });
      const fast = await ok(client, "run", {
        command: "echo fast",
        image: server.busybox,
        wait: false,
      });
      const waited = await ok(client, "wait_operations", {
        operation_ids: [slow.operation_id, fast.operation_id],
        mode: "any",
      });
      assertEquals(waited.completed, [fast.operation_id]);
      assertEquals(waited.cancelled, [slow.operation_id]);
      assertEquals((await waitOperation(server.client, slow.operation_id)).status, "CANCELLED");
    });

    await t.step("wait_operations: an id that names no operation cancels nothing", async () => {
      const slow = await ok(client, "run", {
        command: "sleep 60",
        image: server.busybox,
        timeout: 120,
        wait: false,
      });
      const typo = `${slow.operation_id.slice(0, -1)}${slow.operation_id.endsWith("0") ? 1 : 0}`;
      // Was: the typo "completed" as FAILED at once, and mode any cancelled the real run.
      const waited = await ok(client, "wait_operations", {
        operation_ids: [slow.operation_id, typo],
        mode: "any",
        timeout: 1,
      });
      assertEquals([waited.completed, waited.cancelled], [[], []]);
      assertEquals(waited.pending, [slow.operation_id]);
      assertStringIncludes(waited.errors[typo], "404");
      const status = (await server.client.getOperation(slow.operation_id)).status;
      assert(
        ["PENDING", "ASSIGNED", "EXECUTING"].includes(status ?? ""),
        `still running: ${status}`,
      );
      await server.client.cancelOperation(slow.operation_id);
    });

    await t.step("cancel_operation of a sleep 60 ends CANCELLED", async () => {
      const started = await ok(client, "run", {
        command: "sleep 60",
        image: server.busybox,
        timeout: 120,
        wait: false,
      });
      const cancelled = await ok(client, "cancel_operation", {
        operation_id: started.operation_id,
      });
      assertEquals(cancelled.cancelled, true);
      const waited = await ok(client, "wait_operations", {
        operation_ids: [started.operation_id],
      });
      assertEquals(waited.results[started.operation_id].status, "CANCELLED");
    });

    await t.step("bad input is a tool error and the server keeps serving", async () => {
      assertStringIncludes(
        await toolError(client, "run", { command: "true", image: "tag:no-such-image" }),
        "No image with tag 'no-such-image'",
      );
      assertStringIncludes(
        await toolError(client, "get_operation", {
          operation_id: "00000000-0000-4000-8000-000000000000",
        }),
        "404",
      );
      assertStringIncludes(
        await toolError(client, "run", { command: 42 }),
        "Invalid arguments for tool run",
      );
      assertStringIncludes(await toolError(client, "no_such_tool"), "not found");
      const still = await ok(client, "run", { command: "echo alive", image: server.busybox });
      assertEquals(still.stdout, "alive\n");
    });

    await t.step("a streaming run reports its output as progress notifications", async () => {
      const notes: ProgressNote[] = [];
      const result = await ok(client, "run", {
        command: "for i in 1 2 3; do echo line$i; sleep 0.2; done; echo bad >&2",
        image: server.busybox,
      }, (note) => notes.push(note));
      assertEquals(result.stdout, "line1\nline2\nline3\n");
      const shown = notes.map((note) => note.message ?? "").join("");
      assertStringIncludes(shown, "line1\n");
      assertStringIncludes(shown, "line3\n");
      assertStringIncludes(shown, "[stderr] bad\n");
      for (let i = 1; i < notes.length; i++) assert(notes[i].progress > notes[i - 1].progress);
    });

    await t.step(
      "a quiet run still sends progress: a host's request timeout does not cut it",
      async () => {
        // The SDK gives up after its timeout unless progress comes (resetTimeoutOnProgress): a run
        // quiet for longer was cancelled (60 s by default; 12 s here). Quiet from its first line:
        // the heartbeat counts from the last report, not from a 10 s tick (a 20 s gap).
        const notes: ProgressNote[] = [];
        const result = await client.callTool(
          {
            name: "run",
            arguments: { command: "echo start; sleep 14; echo done", image: server.busybox },
          },
          undefined,
          {
            timeout: 12_000,
            resetTimeoutOnProgress: true,
            onprogress: (note: ProgressNote) => notes.push(note),
          },
        );
        assertEquals(JSON.parse(resultText(result as never)).stdout, "start\ndone\n");
        assert(
          notes.some((note) => /^running, \d+ s$/.test(note.message ?? "")),
          JSON.stringify(notes),
        );
      },
    );

    await t.step("a run the client cancels cancels its operation", async () => {
      const abort = new AbortController();
      const started = Promise.withResolvers<void>();
      const cancelled = callTool(
        client,
        "run",
        {
          command: "echo started; sleep 60",
          image: server.busybox,
          timeout: 120,
        },
        () => started.resolve(),
        abort.signal,
      );
      await started.promise;
      const uuid = await executingOperation(server);
      abort.abort();
      await cancelled.then(() => assert(false, "the call was not cancelled"), () => {});
      assertEquals((await waitOperation(server.client, uuid)).status, "CANCELLED");
      const still = await ok(client, "run", { command: "echo after", image: server.busybox });
      assertEquals(still.stdout, "after\n");
    });

    await t.step("the session tools give contree's history", async () => {
      const used = await ok(client, "use", { image: server.busybox });
      assertEquals(used.current_image, server.busybox);
      const run = await ok(client, "run", { command: "echo s > /step1", disposable: false });
      assertEquals(run.exit_code, 0, JSON.stringify(run));
      assertEquals(run.session.advanced, true);
      const shown = await ok(client, "session_show");
      assertEquals(shown.session.current_image, run.result_image);
      assertEquals(shown.history.map((e: { kind: string }) => e.kind), ["use", "run"]);
      const branched = await ok(client, "session_branch", { name: "try", checkout: true });
      assertEquals(branched.session.active_branch, "try");
      const back = await ok(client, "session_rollback");
      assertEquals(back.session.current_image, server.busybox);
      const gone = await ok(client, "run", { command: "test -e /step1" });
      assertEquals(gone.exit_code, 1);
      const detached = await ok(client, "run", {
        command: "echo d > /detached",
        disposable: false,
        wait: false,
      });
      const waited = await ok(client, "wait_operations", {
        operation_ids: [detached.operation_id],
      });
      const image = waited.results[detached.operation_id].result_image;
      const now = await ok(client, "session_show");
      assertEquals(now.session.current_image, image);
      assertEquals(now.history.at(-1).operation, detached.operation_id);
      // Two kept runs at once: the one that ends last says its image lacks the other's work
      // (both said only advanced: true; an agent lost /a or /b without knowing).
      const [a, b] = await Promise.all(
        ["a", "b"].map((name) =>
          ok(client, "run", { command: `touch /${name}; sleep 1`, disposable: false })
        ),
      );
      assertEquals([a.exit_code, b.exit_code], [0, 0]);
      assertEquals([a, b].filter((run) => run.warning?.includes("another run")).length, 1);
    });

    await t.step("resources: guides, an image's files, an operation's result", async () => {
      const { resources } = await client.listResources() as { resources: { uri: string }[] };
      const uris = resources.map((r) => r.uri);
      assert(uris.includes("contree://guide/core_workflow"), uris.join(" "));
      assert(uris.includes("contree://guide/mcp_server"), uris.join(" "));
      const { resourceTemplates } = await client.listResourceTemplates() as {
        resourceTemplates: { uriTemplate: string }[];
      };
      assertEquals(resourceTemplates.map((r) => r.uriTemplate).sort(), [
        "contree://guide/{section}",
        "contree://image/{image}/ls/",
        "contree://image/{image}/ls/{+path}",
        "contree://image/{image}/read/{+path}",
        "contree://operations/import/{operation_id}",
        "contree://operations/instance/{operation_id}",
      ]);
      const guide = await client.readResource({ uri: "contree://guide/sessions" });
      assertStringIncludes(String(guide.contents[0].text), "session rollback");
      const viaTool = await ok(client, "get_guide", { section: "sessions" });
      assertEquals(viaTool.content, guide.contents[0].text);
      const file = await client.readResource({ uri: `contree://image/${kept}/read/made-by-mcp` });
      assertEquals(file.contents[0].text, "hello\n");
      const ls = await client.readResource({ uri: `contree://image/${kept}/ls/.` });
      assertStringIncludes(String(ls.contents[0].text), "made-by-mcp");
      // What is not there is "resource not found" (-32002); a path refused, bad params.
      const code = (uri: string) =>
        client.readResource({ uri }).then(() => "read", (e: { code?: number }) => e.code);
      assertEquals(await code(`contree://image/${kept}/read/no-such-file`), -32002);
      assertEquals(await code("contree://image/tag:no-such-tag/ls/etc"), -32002);
      assertEquals(await code("contree://guide/no-such-section"), -32002);
      assertEquals(await code(`contree://image/${kept}/read/${"a".repeat(300)}`), -32602);
      assertEquals(await code(`contree://image/${kept}/read/etc`), -32602, "a directory");
      // Completion suggests what starts with the typed part.
      const completed = await client.complete({
        ref: { type: "ref/resource", uri: "contree://guide/{section}" },
        argument: { name: "section", value: "se" },
      });
      assertEquals(completed.completion.values, ["sessions"]);
      const started = await ok(client, "run", {
        command: "echo for-resource",
        image: server.busybox,
        wait: false,
      });
      await ok(client, "wait_operations", { operation_ids: [started.operation_id] });
      const op = await client.readResource({
        uri: `contree://operations/instance/${started.operation_id}`,
      });
      const parsed = JSON.parse(String(op.contents[0].text));
      assertEquals([parsed.status, parsed.stdout], ["SUCCESS", "for-resource\n"]);
    });
  } finally {
    await client.close();
  }
}

/** The one operation executing on the server (the steps run one at a time). */
async function executingOperation(server: TestServer): Promise<string> {
  for (;;) {
    const executing = await server.client.listOperations({ status: "EXECUTING" });
    if (executing.length === 1) return executing[0].uuid;
    await new Promise((resolve) => setTimeout(resolve, 50)); // no event to await: poll the API
  }
}

async function shutdownSteps(t: Deno.TestContext, server: TestServer, env: Record<string, string>) {
  await t.step("stdio: the host going away cancels the run in flight", async () => {
    const client = await stdioClient(env);
    const started = Promise.withResolvers<void>();
    const call = callTool(client, "run", {
      command: "echo started; sleep 60",
      image: server.busybox,
      timeout: 120,
    }, () => started.resolve());
    call.catch(() => {});
    await started.promise;
    const uuid = await executingOperation(server);
    await client.close();
    assertEquals((await waitOperation(server.client, uuid)).status, "CANCELLED");
  });
}

async function httpSteps(t: Deno.TestContext, server: TestServer, env: Record<string, string>) {
  const child = spawnCli(["mcp", "--http", "--port", "0"], { env, stdout: "null" });
  let client: McpClient | undefined;
  try {
    const [, url, token] = await awaitStderr(
      child,
      /Streamable HTTP on (http:\/\/127\.0\.0\.1:\d+\/mcp)\n.*Bearer ([0-9a-f]{64})"/,
    );

    await t.step("HTTP: the token is stored 0600; a request without it is refused", async () => {
      const info = await Deno.stat(`${env.CONTREE_HOME}/mcp/token`);
      assertEquals(info.mode! & 0o777, 0o600);
      assertEquals((await Deno.readTextFile(`${env.CONTREE_HOME}/mcp/token`)).trim(), token);
      const initialize = initializeRequest("raw");
      const headers = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      };
      for (const authorization of [undefined, "Bearer wrong", `Basic ${token}`]) {
        const response = await fetch(url, {
          method: "POST",
          body: initialize,
          headers: authorization ? { ...headers, authorization } : headers,
        });
        assertEquals(response.status, 401, authorization);
        assertStringIncludes(await response.text(), "Unauthorized");
      }
      const foreign = await fetch(url, {
        method: "POST",
        body: initialize,
        headers: { ...headers, authorization: `Bearer ${token}`, origin: "https://evil.test" },
      });
      assertEquals(foreign.status, 403);
      await foreign.body?.cancel();
    });

    await t.step("HTTP: the SDK client lists tools, runs with progress, reads", async () => {
      client = newClient();
      await client.connect(
        new mcpSdk.StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      const { tools } = await client.listTools() as { tools: ListedTool[] };
      assertEquals(tools.map((tool) => tool.name).sort(), Object.keys(CONTREE_MCP_TOOLS).sort());
      const notes: ProgressNote[] = [];
      const run = await ok(client, "run", {
        command: "echo over-http",
        image: server.busybox,
      }, (note) => notes.push(note));
      assertEquals(run.stdout, "over-http\n");
      assertStringIncludes(notes.map((note) => note.message).join(""), "over-http");
      const bad = await callTool(client, "get_image", { image: "tag:missing" });
      assertEquals(bad.isError, true);
      assertStringIncludes(resultText(bad), "No image with tag 'missing'");
      const guide = await client.readResource({ uri: "contree://guide/images" });
      assertStringIncludes(String(guide.contents[0].text), "Images & tags");
    });
  } finally {
    await client?.close().catch(() => {});
    child.kill("SIGTERM");
    const status = await child.status;
    assertEquals(status.code, 0);
  }
}

podmanTest("contree mcp: the SDK client over stdio and Streamable HTTP", async (t) => {
  const server = await startTestServer({ busybox: true });
  const { home, cleanup } = await tempHome();
  const env = apiEnv(server, home, "mcp-test");
  try {
    await stdioSteps(t, server, env);
    await shutdownSteps(t, server, env);
    await httpSteps(t, server, env);
  } finally {
    await server.cleanup();
    await cleanup();
  }
});

podmanTest(
  "contree mcp: an rsync'd directory still runs after the server was replaced",
  async () => {
    const { home, cleanup } = await tempHome();
    const dir = `${home}/project`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/a.txt`, "alpha\n");
    const first = await startTestServer({ busybox: true });
    let second: TestServer | undefined;
    try {
      const before = await stdioClient(apiEnv(first, home, "mcp-replaced"));
      try {
        const synced = await ok(before, "rsync", { source: dir, destination: "/app" });
        assertEquals(synced.uploaded, 1);
      } finally {
        await before.close();
      }
      await first.cleanup();
      // A new server under the same profile: the upload cache names the old server's file.
      second = await startTestServer({ busybox: true });
      const after = await stdioClient(apiEnv(second, home, "mcp-replaced"));
      try {
        const synced = await ok(after, "rsync", { source: dir, destination: "/app" });
        assertEquals(synced.cached, 1);
        // Was: a tool error, `API 400 Bad Request: file not found: <uuid>`.
        const run = await ok(after, "run", {
          command: "cat /app/a.txt",
          image: second.busybox,
          directory_state_id: synced.directory_state_id,
        });
        assertEquals([run.exit_code, run.stdout], [0, "alpha\n"], JSON.stringify(run));
      } finally {
        await after.close();
      }
    } finally {
      await first.cleanup().catch(() => {});
      await second?.cleanup();
      await cleanup();
    }
  },
);

podmanTest(
  "contree mcp: a session run given up for lost contact is recorded by wait_operations",
  async () => {
    const { home, cleanup } = await tempHome();
    const server = await startTestServer({ busybox: true });
    const proxy = new FaultProxy({ hostname: "127.0.0.1", port: server.server.port });
    const client = await stdioClient({
      ...apiEnv(server, home, "mcp-lost"),
      CONTREE_URL: proxy.url,
      CONTREE_FOLLOW_TIMEOUT: "12",
    });
    try {
      await ok(client, "use", { image: server.busybox });
      const started = Promise.withResolvers<void>();
      const given = callTool(
        client,
        "run",
        { command: "echo started; sleep 20; echo work > /work", disposable: false, timeout: 120 },
        () => started.resolve(),
      );
      await started.promise;
      proxy.down();
      const answer = await given;
      assert(answer.isError, resultText(answer));
      const uuid = /operation ([0-9a-f-]{36}) was left running/.exec(resultText(answer))?.[1];
      assert(uuid, resultText(answer));
      await proxy.up();
      const waited = await ok(client, "wait_operations", { operation_ids: [uuid], timeout: 60 });
      assertEquals(waited.results[uuid].status, "SUCCESS", JSON.stringify(waited));
      // Was: the session stayed where it was, and the agent's next run lost the work.
      const next = await ok(client, "run", { command: "cat /work" });
      assertEquals(next.stdout, "work\n", JSON.stringify(next));
    } finally {
      await client.close();
      await proxy.close();
      await server.cleanup();
      await cleanup();
    }
  },
);
