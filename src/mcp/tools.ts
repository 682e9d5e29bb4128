// The tools: names and parameters of nebius/contree-mcp (so prompts and agent configs written for
// it keep working), plus contree's session tools. Each description says what the call costs and
// when to use it. Every answer is a JSON object; every failure a tool error (result.ts).

import type {
  CallToolResult,
  McpServer,
  McpServerSdk,
  RequestHandlerExtra,
  ServerNotification,
  ServerRequest,
  Zod,
} from "../deps.ts";
import { cancelOperationTool, getOperationTool, listOperationsTool } from "./operations.ts";
import { waitOperationsTool } from "./operations.ts";
import {
  downloadTool,
  grepTool,
  LIST_LIMIT,
  listFilesTool,
  readFileTool,
  rsyncTool,
  uploadTool,
} from "./files.ts";
import { getGuideTool } from "./guide.ts";
import {
  getImageTool,
  importImageTool,
  listImagesTool,
  registryAuthTool,
  registryTokenObtainTool,
  setTagTool,
} from "./images.ts";
import { guarded, type ToolOutput } from "./result.ts";
import { type ProgressReport, runTool } from "./run.ts";
import { sessionBranchTool, sessionRollbackTool, sessionShowTool, useTool } from "./session.ts";
import type { McpState } from "./state.ts";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface Annotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** Progress notifications for this call, when the client asked for them (a progressToken). */
function progressOf(state: McpState, extra: Extra): ProgressReport | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let progress = 0;
  return async (message, amount) => {
    progress += amount;
    try {
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress, message },
      });
    } catch (error) {
      // A client that went away must not fail the call that reports to it.
      state.ctx.log.debug(`progress notification failed: ${(error as Error).message}`);
    }
  };
}

const FREE = "Free (no VM).";
/**
 * The most output a run's answer carries per stream: hosts read messages of at most 10 MiB (the
 * SDK's stdio limit), and output counts about 2.5 times in one (the text block and the
 * structured copy, each JSON-escaped) — more for control bytes.
 */
const MAX_RUN_OUTPUT = 1 << 20;

export function registerTools(server: McpServer, sdk: McpServerSdk, state: McpState): void {
  const { z } = sdk;
  const tool = <Shape extends Zod.ZodRawShape>(
    name: string,
    config: { title: string; description: string; annotations: Annotations; input: Shape },
    body: (args: Zod.infer<Zod.ZodObject<Shape>>, extra: Extra) => Promise<ToolOutput>,
  ) => {
    const handler = (args: Zod.infer<Zod.ZodObject<Shape>>, extra: Extra) =>
      state.track(guarded(name, state.ctx.log, () => body(args, extra)));
    server.registerTool(
      name,
      {
        title: config.title,
        description: config.description,
        inputSchema: config.input,
        annotations: config.annotations,
      },
      // The SDK infers the same argument type from the shape; its generic does not see ours.
      handler as unknown as (args: unknown, extra: Extra) => Promise<CallToolResult>,
    );
  };
  const image = z.string().min(1).describe("image UUID, tag:NAME, or a tag");
  const since = z.string().optional().describe(
    "only newer than this: ISO date/time, HH:MM (today, UTC), or an age such as 30m, 2h, 7d",
  );
  const until = z.string().optional().describe("only older than this (same forms as since)");

  // ---- execution ----

  tool(
    "run",
    {
      title: "Run a command in a sandbox",
      description:
        "Run a command in an isolated sandbox (a microVM) started from an image. COSTS A VM: " +
        "a few seconds of start-up plus the command's own time; prefer list_files / read_file " +
        "for looking at files. With wait=true (default) it blocks until the command ends and " +
        "returns stdout, stderr, exit_code and result_image; its output arrives meanwhile as " +
        "progress notifications. wait=false returns an operation_id at once (then " +
        "wait_operations / get_operation). disposable=true (default) keeps nothing; " +
        "disposable=false keeps the result as a new image (result_image) to chain from. " +
        "Files: `files` maps sandbox paths to file UUIDs from upload; directory_state_id " +
        "attaches a directory synced with rsync. Without `image` it runs in the session " +
        "(see `use`): from the session's current image, with its env and working directory, " +
        "and a kept result moves the session forward (undo with session_rollback).",
      annotations: { destructiveHint: false, openWorldHint: true },
      input: {
        command: z.string().describe("the command; a shell expression when shell=true"),
        image: image.optional().describe(
          "image UUID, tag:NAME or a tag; omit to run in the session's current image",
        ),
        shell: z.boolean().default(true).describe(
          "run through sh -c; false: the command is split into words and run directly",
        ),
        env: z.record(z.string(), z.string().nullable()).optional().describe(
          "environment variables; null unsets a variable preserved in the image",
        ),
        preserve_env: z.boolean().default(false).describe(
          "keep env in the result image for later runs (PATH after installing a toolchain)",
        ),
        cwd: z.string().default("").describe(
          "working directory; empty: the session's, else the server's default (/root)",
        ),
        uid: z.number().int().nonnegative().optional().describe("user id to run as (default 0)"),
        gid: z.number().int().nonnegative().optional().describe("group id to run as (default 0)"),
        timeout: z.number().int().positive().default(30).describe("time limit in seconds"),
        disposable: z.boolean().default(true).describe(
          "true: discard the changes; false: keep them as result_image",
        ),
        stdin: z.string().optional().describe("text fed to the command's standard input"),
        directory_state_id: z.number().int().positive().optional().describe(
          "files synced by rsync (its directory_state_id)",
        ),
        files: z.record(z.string(), z.string()).optional().describe(
          'files to attach: {"/sandbox/path": "file-uuid-from-upload"}',
        ),
        wait: z.boolean().default(true).describe("wait for the end (false: return operation_id)"),
        truncate_output_at: z.number().int().positive().max(MAX_RUN_OUTPUT).default(8000)
          .describe(
            "bytes of stdout and of stderr kept (at most 1 MiB each: an answer must fit a " +
              "host's 10 MiB message; write more to a file and download it)",
          ),
        max_layer_bytes: z.number().int().positive().optional().describe(
          "cap on the bytes the command may write to its image layer",
        ),
      },
    },
    (args, extra) =>
      runTool(state, args, { signal: extra.signal, progress: progressOf(state, extra) }),
  );

  // ---- images ----

  tool("list_images", {
    title: "List images",
    description: `List images, newest first. ${FREE} Look here before import_image (the most ` +
      "expensive call): reuse a tagged image when one fits. tag_prefix filters by tag " +
      "(e.g. common/ or busybox:). Returns images[] with uuid, tag, created_at.",
    annotations: { readOnlyHint: true },
    input: {
      limit: z.number().int().positive().default(100).describe("at most this many images"),
      offset: z.number().int().nonnegative().default(0).describe("skip this many first"),
      tagged: z.boolean().optional().describe("true: tagged images only; false: untagged too"),
      tag_prefix: z.string().optional().describe("only tags starting with this"),
      since,
      until,
    },
  }, (args) => listImagesTool(state, args));

  tool("get_image", {
    title: "Get an image",
    description: `An image's uuid, tag, created_at and operation_uuid. ${FREE} Use it to check ` +
      "that an image exists or to turn a tag (tag:NAME) into a UUID.",
    annotations: { readOnlyHint: true },
    input: { image },
  }, (args) => getImageTool(state, args.image));

  tool("import_image", {
    title: "Import an image from a registry",
    description: "Import an OCI image from a registry (docker://docker.io/library/alpine:latest, " +
      "or a short name such as alpine:3.20). THE MOST EXPENSIVE CALL: it can take minutes. " +
      "Check list_images first. wait=true (default) returns result_image when done; " +
      "wait=false returns an operation_id (then wait_operations).",
    annotations: { openWorldHint: true },
    input: {
      registry_url: z.string().min(1).describe("registry reference, docker://… or a short name"),
      tag: z.string().optional().describe("tag to give the image"),
      wait: z.boolean().default(true).describe("wait for the end (false: return operation_id)"),
      timeout: z.number().int().positive().optional().describe("server-side limit, seconds"),
      i_accept_that_anonymous_access_might_be_rate_limited: z.boolean().default(false).describe(
        "accepted for compatibility with contree-mcp: without credentials from registry_auth " +
          "the import is anonymous either way",
      ),
    },
  }, (args, extra) => importImageTool(state, args, extra.signal));

  tool("registry_token_obtain", {
    title: "Where to create a registry token",
    description: `The page where the user creates a read-only access token for a registry ` +
      `(docker.io, ghcr.io, registry.gitlab.com, gcr.io). ${FREE} After it, STOP and wait for ` +
      "the user to give you the username and token, then call registry_auth.",
    annotations: { readOnlyHint: true },
    input: {
      registry_url: z.string().min(1).describe(
        "an image reference of the registry (docker://ghcr.io/org/image, or a name: docker.io)",
      ),
    },
  }, (args) => Promise.resolve(registryTokenObtainTool(args)));

  tool("registry_auth", {
    title: "Authenticate with a registry",
    description: "Check a username and access token with the registry itself and keep them " +
      "(a 0600 file of this machine) for later import_image calls from that registry, which " +
      "then pull private images. Returns status, registry and message.",
    annotations: { openWorldHint: true, idempotentHint: true },
    input: {
      registry_url: z.string().min(1).describe("an image reference of the registry"),
      username: z.string().min(1).describe("the registry username"),
      token: z.string().min(1).describe("the access token (read-only is enough)"),
    },
  }, (args) => registryAuthTool(state, args));

  tool("set_tag", {
    title: "Tag an image",
    description: `Give an image a tag, or remove its tag (omit tag). ${FREE} A tag moves from ` +
      "any image that had it. Tag what you will reuse, as scope/purpose/base " +
      "(common/python-ml/python:3.11-slim).",
    annotations: { destructiveHint: true, idempotentHint: true },
    input: {
      image_uuid: image.describe("the image (UUID, or tag:NAME)"),
      tag: z.string().optional().describe("the new tag; omit to remove the image's tag"),
    },
  }, (args) => setTagTool(state, args));

  // ---- files ----

  tool("list_files", {
    title: "List a directory of an image",
    description: `List a directory of an image: name, path, type, size, mode, symlink target ` +
      `(the first ${LIST_LIMIT.toLocaleString("en")} entries; count says how many there are). ` +
      `${FREE} Prefer it to run("ls").`,
    annotations: { readOnlyHint: true },
    input: { image, path: z.string().default("/").describe("directory in the image") },
  }, (args) => listFilesTool(state, args));

  tool("read_file", {
    title: "Read a file of an image",
    description: `A file's content (utf-8 text, else base64; at most 1 MiB, truncated beyond). ` +
      `${FREE} Prefer it to run("cat"); use download for large files.`,
    annotations: { readOnlyHint: true },
    input: { image, path: z.string().min(1).describe("file in the image") },
  }, (args) => readFileTool(state, args));

  tool("grep", {
    title: "Search the files of an image",
    description: `Search file contents of an image with ripgrep: the matching lines, each with ` +
      `its path and line number. ${FREE} pattern is a Rust-flavoured regular expression, not a ` +
      'plain substring; narrow with path and glob (e.g. "*.py"). Symbolic links are not ' +
      'followed; binary files are skipped. Prefer it to run("grep").',
    annotations: { readOnlyHint: true },
    input: {
      image,
      pattern: z.string().min(1).describe("regular expression (ripgrep syntax)"),
      path: z.string().optional().describe("file or directory in the image (default /)"),
      glob: z.string().optional().describe('only files matching this glob, e.g. "*.py"'),
      max_count: z.number().int().positive().optional().describe("matches per file at most"),
      max_total: z.number().int().positive().optional().describe("matches in all at most"),
      case: z.enum(["sensitive", "insensitive", "smart"]).optional().describe(
        "case sensitivity (default sensitive; smart: insensitive unless the pattern has capitals)",
      ),
    },
  }, (args) => grepTool(state, args));

  tool("upload", {
    title: "Upload a file",
    description: `Upload one file for run's \`files\`; returns its uuid. ${FREE} Give exactly ` +
      "one of path (a file on this machine), content (text) or content_base64 (binary). " +
      "Content the server already has is not sent again. For directories use rsync.",
    annotations: { idempotentHint: true },
    input: {
      path: z.string().optional().describe("absolute path of a file on this machine (~ expanded)"),
      content: z.string().optional().describe("text content"),
      content_base64: z.string().optional().describe("binary content, base64"),
    },
  }, (args) => uploadTool(state, args));

  tool("download", {
    title: "Download from an image",
    description: `Copy a file (or a directory) out of an image to this machine. ${FREE} ` +
      "destination is an absolute path here (~ expanded); an existing directory receives the " +
      "file under its own name. Missing parent directories are created; archive members that " +
      "would land outside the destination are refused.",
    annotations: { idempotentHint: true },
    input: {
      image,
      path: z.string().min(1).describe("file or directory in the image"),
      destination: z.string().min(1).describe("absolute path on this machine"),
      executable: z.boolean().default(false).describe("make the downloaded file executable"),
    },
  }, (args) => downloadTool(state, args));

  tool("rsync", {
    title: "Sync a directory for runs",
    description: `Sync a directory of this machine for later runs: returns a ` +
      "directory_state_id to pass to run (and the file UUIDs by sandbox path). " + `${FREE} ` +
      "Only files the server does not have yet are uploaded, so call it again after edits. " +
      "Skipped: symbolic links, dot files, .git, node_modules, __pycache__, .venv, dist, " +
      "build, and the exclude patterns.",
    annotations: { idempotentHint: true },
    input: {
      source: z.string().min(1).describe(
        "absolute path of a directory (or one file) on this machine",
      ),
      destination: z.string().min(1).describe("absolute directory in the sandbox, e.g. /app"),
      exclude: z.array(z.string()).default([]).describe("glob patterns to skip (*.log, tmp)"),
    },
  }, (args) => rsyncTool(state, args));

  // ---- operations ----

  tool("get_operation", {
    title: "Get an operation",
    description: `Status and result of an operation (a run or an import): exit_code, stdout, ` +
      `stderr, result_image. ${FREE} For several at once, or to block, use wait_operations.`,
    annotations: { readOnlyHint: true },
    input: { operation_id: z.string().min(1).describe("the operation UUID") },
  }, (args) => getOperationTool(state, args.operation_id));

  tool("list_operations", {
    title: "List operations",
    description: `Recent operations (runs and imports), newest first. ${FREE} status: ` +
      "PENDING, ASSIGNED, EXECUTING (or running), SUCCESS, FAILED, CANCELLED; type: instance " +
      "or image_import.",
    annotations: { readOnlyHint: true },
    input: {
      limit: z.number().int().positive().default(100).describe("at most this many"),
      status: z.string().optional().describe("only operations with this status"),
      type: z.enum(["instance", "image_import"]).optional().describe("only this kind"),
      since,
      until,
    },
  }, (args) => listOperationsTool(state, args));

  tool("wait_operations", {
    title: "Wait for operations",
    description: `Block until operations end. ${FREE} mode=all (default) waits for every ` +
      "one; mode=any returns with the first to finish and cancels the others. Returns " +
      "results by operation id, completed, cancelled, pending (still running at the " +
      "timeout) and timed_out. Progress notifications report each one that finishes.",
    annotations: { readOnlyHint: false },
    input: {
      operation_ids: z.array(z.string().min(1)).min(1).describe("operation UUIDs"),
      timeout: z.number().positive().default(300).describe("seconds to wait at most"),
      mode: z.enum(["all", "any"]).default("all").describe("wait for all, or for the first"),
    },
  }, (args, extra) => waitOperationsTool(state, args, progressOf(state, extra), extra.signal));

  tool("cancel_operation", {
    title: "Cancel an operation",
    description: `Cancel a running operation (a run or an import). ${FREE} An operation that ` +
      "already ended is left as it is (cancelled=false unless it was cancelled).",
    annotations: { destructiveHint: true, idempotentHint: true },
    input: { operation_id: z.string().min(1).describe("the operation UUID") },
  }, (args) => cancelOperationTool(state, args.operation_id));

  // ---- sessions (beyond contree-mcp) ----

  tool("use", {
    title: "Point the session at an image",
    description: `Start or move the session to an image (a "use" entry in its history). ` +
      `${FREE} Then run without \`image\` runs there, and each kept run (disposable=false) ` +
      "adds an entry you can roll back to. new=true starts a fresh session instead.",
    annotations: { idempotentHint: false },
    input: {
      image,
      new: z.boolean().default(false).describe("start a new session (a new key)"),
    },
  }, (args) => useTool(state, args));

  tool("session_show", {
    title: "Show the session",
    description: `The session: current image, branches and the last history entries (use, ` +
      `run, rollback targets). ${FREE}`,
    annotations: { readOnlyHint: true },
    input: {
      limit: z.number().int().positive().default(20).describe("at most this many entries"),
    },
  }, (args) => sessionShowTool(state, args));

  tool("session_rollback", {
    title: "Roll the session back",
    description: `Move the session's current image back (or forward) in its history. ${FREE} ` +
      "target: -N back N entries (default -1), N the entry with id N, +N forward N, or " +
      "HEAD~N. Nothing is lost: session_rollback with +1 goes forward again.",
    annotations: { idempotentHint: false },
    input: {
      target: z.string().default("-1").describe("-N, N (entry id), +N, or HEAD~N"),
    },
  }, (args) => sessionRollbackTool(state, args));

  tool("session_branch", {
    title: "Session branches",
    description: `List the session's branches; with name, create that branch at the current ` +
      `image (or at branch \`from\`), and with checkout=true switch to it. ${FREE} Branches ` +
      "let you try an alternative and come back.",
    annotations: { idempotentHint: false },
    input: {
      name: z.string().optional().describe("branch to create (or to check out)"),
      from: z.string().optional().describe("create the branch at this branch's image"),
      checkout: z.boolean().default(false).describe("switch to the branch"),
    },
  }, (args) => sessionBranchTool(state, args));

  // ---- the guide ----

  tool("get_guide", {
    title: "Read the guide",
    description: `A section of contree's guide for agents (workflow, sessions, images, files, ` +
      `execution, safety, …). ${FREE} The same text as the contree://guide/{section} resources.`,
    annotations: { readOnlyHint: true },
    input: {
      section: z.string().default(state.deps.guides[0]?.name ?? "").describe(
        `one of: ${state.deps.guides.map((g) => g.name).join(", ")}`,
      ),
    },
  }, (args) => Promise.resolve(getGuideTool(state.deps.guides, args.section)));

  tool("whoami", {
    title: "Who am I",
    description: `The token's identity, permissions and limits on the server. ${FREE}`,
    annotations: { readOnlyHint: true },
    input: {},
  }, async () => ({ ...await state.client().whoami(), mcp_version: state.deps.version }));
}
