// The `run` tool: spawn a sandbox, follow it with the same follower as `contree run` (resume,
// probes, polling fallback, cancel on interrupt), and report its output live as MCP progress
// notifications while it runs. Given an `image`, it touches no session (contree-mcp's
// semantics); without one it runs in the session like `contree run`: from the session's image,
// with its env, cwd and staged files, and a kept result moves the session forward.

import { DeadlineError, isStaleFile } from "../api/errors.ts";
import { concatBytes } from "../bytes.ts";
import type { FileSpec, InstanceSpawnRequest, OperationEvent } from "../api/models.ts";
import { ContreeError } from "../errors.ts";
import { type Sink, toBytes } from "../io.ts";
import { cancelQuietly, followRun, OutputSink } from "../operations/live_output.ts";
import { advancedImage } from "../operations/outcome.ts";
import { buildSpawnRequest } from "../operations/payload.ts";
import { leaveRunPending, type RunSession } from "../operations/run.ts";
import { normaliseSandboxPath } from "../sandbox_path.ts";
import { runSession } from "../session/adapters.ts";
import { splitShellWords } from "../shell_words.ts";
import type { Env } from "../env.ts";
import {
  type Contact,
  type ContactPolicy,
  contactPolicyFromEnv,
  DEFAULT_CONTACT_POLICY,
  displayUrl,
  FOLLOW_TIMEOUT_VARIABLE,
  LostContact,
} from "../sse/contact.ts";
import { refreshDirectoryState } from "./files.ts";
import { operationOutput } from "./outputs.ts";
import type { ToolOutput } from "./result.ts";
import type { McpState } from "./state.ts";

export interface RunArgs {
  command: string;
  image?: string;
  shell: boolean;
  env?: Record<string, string | null>;
  preserve_env: boolean;
  cwd: string;
  uid?: number;
  gid?: number;
  timeout: number;
  disposable: boolean;
  stdin?: string;
  directory_state_id?: number;
  files?: Record<string, string>;
  wait: boolean;
  truncate_output_at: number;
  max_layer_bytes?: number;
}

/** Sends one progress notification: the new output and how many bytes it adds. */
export type ProgressReport = (message: string, bytes: number) => Promise<void>;

export interface ToolCall {
  /** Aborted when the client cancels the request. */
  signal: AbortSignal;
  /** Present when the client asked for progress (a progressToken). */
  progress?: ProgressReport;
}

/** How long past the command's own timeout the follower waits before giving up. */
const FOLLOW_GRACE_S = 120;
/** A run that prints nothing for this long still sends a progress notification. */
const HEARTBEAT_MS = 10_000;
/** How often the quiet is measured: a note comes at most this late. */
const HEARTBEAT_CHECK_MS = 1_000;
const HOSTNAME = "linuxkit";

/**
 * One stream of a run's output: kept (up to `limit` bytes, the server's own cap) for the
 * result, and handed to `report` as it arrives.
 */
export class CapturedStream implements Sink {
  readonly isTerminal = false;
  readonly #chunks: Uint8Array[] = [];
  #kept = 0;
  #clipped = false;
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly limit: number,
    private readonly report?: (text: string, bytes: number) => Promise<void>,
  ) {}

  async write(data: Uint8Array | string): Promise<void> {
    const bytes = toBytes(data);
    const room = Math.max(0, this.limit - this.#kept);
    if (bytes.length > room) this.#clipped = true;
    if (room > 0) {
      const kept = bytes.subarray(0, room).slice();
      this.#chunks.push(kept);
      this.#kept += kept.length;
    }
    await this.report?.(this.#decoder.decode(bytes, { stream: true }), bytes.length);
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  columns(): number | undefined {
    return undefined;
  }

  get clipped(): boolean {
    return this.#clipped;
  }

  /** The kept output; `cut` (it was truncated) drops a character the cut split, not a U+FFFD. */
  text(cut = false): string {
    return new TextDecoder().decode(concatBytes(this.#chunks), { stream: cut });
  }
}

/** The follower's sink, noting which streams the server truncated. */
class RunOutput extends OutputSink {
  readonly truncated = new Set<string>();

  override async onEvent(event: OperationEvent): Promise<void> {
    if (event.type === "truncated") {
      this.truncated.add(String((event.data as { stream?: unknown }).stream ?? "output"));
    }
    await super.onEvent(event);
  }
}

/** Files of the request: the rsync state, then `files`, then (in a session) staged files. */
function requestFiles(
  state: McpState,
  args: RunArgs,
  session: RunSession | undefined,
): Record<string, FileSpec> {
  const files: Record<string, FileSpec> = {};
  if (args.directory_state_id !== undefined) {
    Object.assign(files, state.directoryState(args.directory_state_id).files);
  }
  for (const [path, uuid] of Object.entries(args.files ?? {})) {
    if (!path.startsWith("/")) {
      throw new ContreeError(
        `files: '${path}' is not an absolute sandbox path (keys are destinations, values file UUIDs)`,
      );
    }
    files[normaliseSandboxPath(path)] = { uuid, mode: "0644" };
  }
  for (const [path, spec] of Object.entries(session?.pendingFiles() ?? {})) {
    if (!(path in files)) files[path] = spec;
  }
  return files;
}

function spawnRequest(
  state: McpState,
  args: RunArgs,
  image: string,
  session: RunSession | undefined,
): { request: InstanceSpawnRequest; env: Record<string, string> } {
  const env: Record<string, string> = { ...session?.env() };
  const unset: string[] = [];
  for (const [name, value] of Object.entries(args.env ?? {})) {
    if (value === null) unset.push(name);
    else env[name] = value;
  }
  const request = buildSpawnRequest({
    image,
    command: args.shell ? [args.command] : splitShellWords(args.command),
    shell: args.shell,
    timeout: args.timeout,
    hostname: HOSTNAME,
    truncateAt: args.truncate_output_at,
    disposable: args.disposable,
    preserveEnv: args.preserve_env,
    cwd: args.cwd || session?.cwd() || undefined,
    env,
    preservedEnv: session?.preservedEnv(image),
    files: requestFiles(state, args, session),
    stdin: args.stdin ? new TextEncoder().encode(args.stdin) : undefined,
  });
  if (unset.length > 0) {
    // A null value removes a preserved variable (API spec): the wire allows null values.
    const withNulls: Record<string, string | null> = { ...request.env };
    for (const name of unset) withNulls[name] = null;
    request.env = withNulls as Record<string, string>;
  }
  if (args.uid !== undefined) request.uid = args.uid;
  if (args.gid !== undefined) request.gid = args.gid;
  if (args.max_layer_bytes !== undefined) {
    request.resources_limits = { max_layer_bytes: args.max_layer_bytes };
  }
  return { request, env };
}

/**
 * An agent waiting on a server that went away is better told soon: without
 * CONTREE_FOLLOW_TIMEOUT, a run gives up after 2 minutes without contact (the CLI: 15).
 */
export function mcpContactPolicy(env: Env): ContactPolicy {
  if (env.get(FOLLOW_TIMEOUT_VARIABLE)?.trim()) return contactPolicyFromEnv(env);
  return { ...DEFAULT_CONTACT_POLICY, giveUpAfterMs: MCP_GIVE_UP_MS };
}

const MCP_GIVE_UP_MS = 120_000;

export async function runTool(state: McpState, args: RunArgs, call: ToolCall): Promise<ToolOutput> {
  if (args.command.trim() === "") throw new ContreeError("command must not be empty");
  const inSession = !args.image;
  const session = inSession
    ? await state.withSession((store, key) => runSession(store, key, displayUrl(state.client())))
    : undefined;
  const image = session
    ? await state.withSession(() => session.currentImage())
    : await state.resolveImage(args.image!);
  let { request, env } = spawnRequest(state, args, image, session);
  const client = state.client();
  const title = args.command;
  const { uuid, status } = await client.spawn(request).catch(async (error) => {
    // The directory state's files may be an earlier server's (one replaced under the same
    // profile): once, they are asked for again past the upload cache.
    if (!isStaleFile(error) || args.directory_state_id === undefined) throw error;
    state.ctx.log.debug(`run: uploading the directory state again: ${error.message}`);
    await refreshDirectoryState(state, args.directory_state_id);
    ({ request, env } = spawnRequest(state, args, image, session));
    return await client.spawn(request);
  });
  state.ctx.log.debug(`run: spawned operation ${uuid}`);

  if (!args.wait) {
    if (session) {
      leaveRunPending(session, { uuid, title, disposable: args.disposable, detached: true });
    }
    return { operation_id: uuid, status: typeof status === "string" ? status : "PENDING" };
  }

  let reported = 0;
  let lastReport = Date.now();
  const report = (prefix: string) => async (text: string, bytes: number) => {
    if (!call.progress || text === "") return;
    reported += bytes;
    lastReport = Date.now();
    await call.progress(`${prefix}${text}`, bytes);
  };
  // A quiet run still reports: hosts time a call out (the SDK after 60 s) unless progress
  // arrives, and a quiet build or install would be cancelled.
  const started = Date.now();
  let contact: Contact | undefined;
  const heartbeat = call.progress === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastReport < HEARTBEAT_MS) return;
    lastReport = Date.now();
    // A server that stopped answering is not a run that goes on: the host is told which.
    const silent = contact?.silentMs() ?? 0;
    const note = contact && silent >= contact.policy.lostAfterMs
      ? `no contact with the server for ${Math.round(silent / 1000)} s`
      : `running, ${Math.round((lastReport - started) / 1000)} s`;
    void call.progress?.(note, 1).catch(() => {});
  }, HEARTBEAT_CHECK_MS);
  const stdout = new CapturedStream(args.truncate_output_at, report(""));
  const stderr = new CapturedStream(args.truncate_output_at, report("[stderr] "));
  const output = new RunOutput(state.ctx, { stdout, stderr });
  const onCancel = () => void cancelQuietly(state.ctx, client, uuid);
  call.signal.addEventListener("abort", onCancel, { once: true });
  const policy = mcpContactPolicy(state.ctx.env);
  let followed;
  try {
    followed = await followRun(state.ctx, client, uuid, output, {
      timeoutMs: (args.timeout + FOLLOW_GRACE_S) * 1000,
      contact: policy,
      onContact: (watch) => (contact = watch),
      // contree-mcp's answer is the whole record (created_at, image_uuid, consumed_cpu, …).
      record: true,
    });
  } catch (error) {
    if (session && (error instanceof LostContact || error instanceof DeadlineError)) {
      // Left running: pending as a run without wait is, so that wait_operations (or
      // get_operation) records its result in the session where this run would have.
      leaveRunPending(session, { uuid, title, disposable: args.disposable, detached: false });
    }
    if (error instanceof LostContact) {
      // The CLI's hint (`contree op wait`) is not the agent's way back.
      throw new ContreeError(
        `No contact with the server for ${
          Math.round(policy.giveUpAfterMs / 1000)
        }s; operation ${uuid} was left running there: wait_operations or get_operation picks it up`,
      );
    }
    if (error instanceof DeadlineError) {
      throw new ContreeError(
        `Operation ${uuid} has not finished ${args.timeout + FOLLOW_GRACE_S}s after it started; ` +
          "see get_operation or wait_operations",
      );
    }
    throw error;
  } finally {
    clearInterval(heartbeat);
    call.signal.removeEventListener("abort", onCancel);
  }
  state.ctx.log.debug(`run: ${uuid} ended ${followed.operation.status} (${reported} bytes shown)`);

  const result = operationOutput(followed.operation);
  const record = followed.operation.metadata?.result;
  // The follower wrote everything through the sink: the log's output, then what only the
  // record held.
  const truncated = [...output.truncated];
  if (record?.stdout?.truncated && !truncated.includes("stdout")) truncated.push("stdout");
  if (record?.stderr?.truncated && !truncated.includes("stderr")) truncated.push("stderr");
  if (stdout.clipped && !truncated.includes("stdout")) truncated.push("stdout");
  if (stderr.clipped && !truncated.includes("stderr")) truncated.push("stderr");
  result.stdout = stdout.text(truncated.includes("stdout"));
  result.stderr = stderr.text(truncated.includes("stderr"));
  result.truncated = truncated;

  const next = advancedImage(followed.operation);
  if (session && next) {
    if (args.disposable) session.disposableBranch(uuid, title);
    else {
      // Runs of one session that overlap each start from the image of their start: the last to
      // finish holds only its own changes. Said, since agents issue tool calls in parallel.
      const moved = session.currentImage() !== image;
      session.advance(next, title, uuid);
      if (args.preserve_env) session.setPreservedEnv(next, env);
      if (moved) {
        result.warning = "another run advanced the session while this one ran; this run " +
          "started from the image before it, so the session's image now has this run's " +
          "changes but not the other's: run such work one after another, or disposable";
      }
    }
    result.session = { session_key: await state.sessionKey(), advanced: !args.disposable };
  }
  return result;
}
