// `contree run` (CLI spec §8.1): spawn an instance from the session image, stream its output
// live over the event log, and advance the session on success.
//
// Deviations from the reference (docs/DEVIATIONS.md): output is never printed twice when the
// follower ends through a status probe, and what the log lost is completed from the record;
// lost contact is a warning, then an error after CONTREE_FOLLOW_TIMEOUT; `-f table|csv|tsv`
// print the result row; Ctrl-C exits 130 (SIGTERM 143) after cancelling the operation; a
// synthesised operation is not cached.

import { type ContreeClient, isRefusedConnection } from "../api/client.ts";
import type { FileSpec, InstanceSpawnRequest, Operation } from "../api/models.ts";
import type { Context } from "../context.ts";
import { ContreeError, Exit, ExitCode, Interrupted } from "../errors.ts";
import { isStaleFile, NetworkError } from "../api/errors.ts";
import { type FormatName, type Formatter, LongText, type Row } from "../output/formatter.ts";
import { ByteSpool } from "../spool.ts";
import { expandFileSpecs, type MappedFile } from "./file_spec.ts";
import { contactPolicyFromEnv, LostContact } from "../sse/contact.ts";
import { followRun, OutputSink } from "./live_output.ts";
import { advancedImage, runExitCode } from "./outcome.ts";
import { buildSpawnRequest, octalMode, parseEnvPairs } from "./payload.ts";
import { forwardStdin, PipedStdin } from "./stdin.ts";

export interface RunOptions {
  command: string[];
  timeout: number;
  cwd?: string;
  env: string[];
  hostname: string;
  disposable: boolean;
  interpreter: boolean;
  shell: boolean;
  files: string[];
  fileExcludes: string[];
  truncate: number;
  preserveEnv: boolean;
  detach: boolean;
  use?: string;
}

/** What `run` needs from the session store. */
export interface RunSession {
  /** Records `use IMAGE` (kind "use") on the active branch. */
  useImage(image: string, title: string): void;
  /** The active branch's image; throws the "No active session" error without one. */
  currentImage(): string;
  /** The session cwd ("" when never changed). */
  cwd(): string;
  env(): Record<string, string>;
  /** Staged files waiting for the next run, by sandbox path. */
  pendingFiles(): Record<string, FileSpec>;
  preservedEnv(image: string): Record<string, string> | undefined;
  setPreservedEnv(image: string, env: Record<string, string>): void;
  /** A successful non-disposable run: the branch moves to its image. */
  advance(image: string, title: string, operation: string): void;
  disposableBranch(operation: string, title: string): void;
  detachedBranch(operation: string, title: string): void;
  addPendingOperation(
    entry: { op: string; title: string; disposable: boolean; branch: string },
  ): void;
}

export interface RunDeps {
  ctx: Context;
  client: ContreeClient;
  session: RunSession;
  format: FormatName;
  output(): Formatter;
  resolveImage(ref: string): Promise<string>;
  /**
   * Uploads (deduplicated) and returns the file UUID of each host path; `refresh` asks the
   * server again instead of trusting the local upload cache.
   */
  uploadFiles(files: MappedFile[], refresh?: boolean): Promise<Map<string, string>>;
}

async function readScript(ctx: Context, path: string | undefined): Promise<Uint8Array> {
  if (!path) throw new ContreeError("-I/--interpreter needs a script path as the command");
  const full = path.startsWith("/") ? path : `${ctx.cwd}/${path}`;
  try {
    return await Deno.readFile(full);
  } catch (error) {
    throw new ContreeError(`Cannot read script ${path}: ${(error as Error).message}`);
  }
}

/** The files of the request: `-F` first, then staged files for paths not already present. */
async function requestFiles(
  deps: RunDeps,
  options: RunOptions,
  refresh = false,
): Promise<Record<string, FileSpec>> {
  const files: Record<string, FileSpec> = {};
  if (options.files.length > 0) {
    const mapped = await expandFileSpecs(options.files, {
      cwd: deps.session.cwd() || "/",
      hostCwd: deps.ctx.cwd,
      excludes: options.fileExcludes,
      log: deps.ctx.log,
    });
    const uuids = await deps.uploadFiles(mapped, refresh);
    for (const file of mapped) {
      files[file.instancePath] = {
        uuid: uuids.get(file.hostPath),
        uid: file.uid,
        gid: file.gid,
        mode: octalMode(file.mode),
      };
    }
  }
  for (const [path, spec] of Object.entries(deps.session.pendingFiles())) {
    if (!(path in files)) files[path] = spec;
  }
  return files;
}

/** One row for the non-default formatters: scalar fields + exit_code, image, tag, output. */
export function runResultRow(
  operation: Operation,
  stdout: string | LongText,
  stderr: string | LongText,
): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(operation)) {
    if (key !== "error" && (value === null || typeof value !== "object")) row[key] = value;
  }
  const state = operation.metadata?.result?.state;
  row.exit_code = Number.isInteger(state?.exit_code) ? state!.exit_code : null;
  row.image = operation.result?.image ?? operation.result_image_uuid ?? "";
  row.tag = operation.result?.tag ?? "";
  row.stdout = stdout;
  row.stderr = stderr;
  row.error = operation.error ?? null;
  return row;
}

export async function runCommand(deps: RunDeps, options: RunOptions): Promise<number> {
  const { ctx, client, session } = deps;
  // Bad input (-e, -F) is refused before `--use` records anything, as the reference does.
  const image = options.use ? await deps.resolveImage(options.use) : session.currentImage();
  const envPairs = parseEnvPairs(options.env);
  const files = await requestFiles(deps, options);
  if (options.use) session.useImage(image, options.use);
  const env = { ...session.env(), ...envPairs };
  const interpreter = options.interpreter
    ? { script: await readScript(ctx, options.command[0]) }
    : undefined;
  const stdin = interpreter ? undefined : await PipedStdin.open(ctx.stdin, {
    onLate: () =>
      ctx.log.warning(
        "stdin had nothing to read when the run started, and what it brought later is not sent " +
          "to the sandbox (a pipe idle for 100 ms counts as no stdin)",
      ),
  });
  const request: InstanceSpawnRequest = buildSpawnRequest({
    image,
    command: options.command,
    shell: options.shell,
    timeout: options.timeout,
    hostname: options.hostname,
    truncateAt: options.truncate,
    disposable: options.disposable,
    preserveEnv: options.preserveEnv,
    cwd: options.cwd || session.cwd() || undefined,
    env,
    preservedEnv: session.preservedEnv(image),
    files,
    stdin: stdin?.first.bytes,
    stdinOpen: stdin !== undefined && !stdin.first.ended,
    interpreter,
  });
  const title = options.command.join(" ");
  // Read before spawning: a bad value must not leave an operation behind.
  const contact = options.detach ? undefined : contactPolicyFromEnv(ctx.env);
  let spawned: Operation;
  try {
    spawned = await client.spawn(request).catch(async (error) => {
      // A file uploaded earlier may be gone from the server (a new local server under the same
      // profile): once, the upload cache is passed by and the server asked again.
      if (!isStaleFile(error)) throw error;
      if (options.files.length > 0) {
        ctx.log.debug(`Uploading again, the server lost a cached file: ${error.message}`);
        request.files = { ...request.files, ...await requestFiles(deps, options, true) };
        try {
          return await client.spawn(request);
        } catch (again) {
          if (!isStaleFile(again)) throw again;
          error = again;
        }
      }
      // What is left is a file staged earlier (`file cp`): only its UUID was kept.
      throw new ContreeError(
        `${error.message}: a file staged with \`contree file cp\` is not on this server ` +
          "(a new server?); stage it again",
        ExitCode.ERROR,
        { cause: error },
      );
    });
  } catch (error) {
    await stdin?.cancel();
    // The answer was lost, not necessarily the request (it is not retried: it would start a
    // second run): the operation may be running.
    if (error instanceof NetworkError && !isRefusedConnection(error)) {
      throw new NetworkError(
        `${error.message.replace(/^Network error: /, "")}; the run may have started on the ` +
          "server all the same: see `contree ps`",
        { cause: error },
      );
    }
    throw error;
  }
  const uuid = spawned.uuid;
  ctx.log.debug(`Spawned operation ${uuid}`);
  // The rest of a stdin that had not ended goes to the process while it runs.
  const stdinDone = new AbortController();
  const forwarding = stdin && !stdin.first.ended
    ? forwardStdin(client, uuid, stdin, ctx, stdinDone.signal)
    : undefined;

  if (options.detach) {
    // As the reference: return once stdin is sent (to its end, or until the process ends it).
    await forwarding;
    leaveRunPending(session, { uuid, title, disposable: options.disposable, detached: true });
    const out = deps.output();
    await out.write({
      uuid,
      status: typeof spawned.status === "string" ? spawned.status : "PENDING",
    });
    await out.flush();
    return ExitCode.OK;
  }

  // A result row is written after the end: its output is kept in spools meanwhile, so output
  // of any size is written in pieces, never held as one string.
  const dir = ctx.env.get("TMPDIR");
  const spools = deps.format === "default"
    ? undefined
    : { stdout: new ByteSpool({ dir }), stderr: new ByteSpool({ dir }) };
  try {
    const output = new OutputSink(
      ctx,
      spools ?? { stdout: ctx.stdout, stderr: ctx.stderr },
      "(raise -T/--truncate)",
    );
    let followed;
    const firstInterrupt = interruptTheProcess(ctx, client, uuid);
    try {
      followed = await followRun(ctx, client, uuid, output, { contact });
    } catch (error) {
      if (!(error instanceof LostContact)) throw error;
      // Left running: pending in the session as a detached run is, so that `session wait`
      // records its result where this run would have (`op wait` only looks).
      leaveRunPending(session, { uuid, title, disposable: options.disposable, detached: false });
      throw error.pickedUpBy("contree session wait");
    } finally {
      firstInterrupt.close();
      stdinDone.abort();
      await forwarding;
    }
    const operation = followed.operation;
    const state = operation.metadata?.result?.state;
    if (state?.timed_out) ctx.log.warning(`Operation ${uuid} timed out after ${options.timeout}s`);
    else if (operation.status !== "SUCCESS") {
      ctx.log.critical(
        `Operation ${uuid} ended with status ${operation.status}${
          operation.error ? `: ${operation.error}` : ""
        }`,
      );
    }

    // The session first: a result row that cannot be printed must not lose the run it records.
    // A session that cannot be written (its database locked too long) must not lose the row.
    let unrecorded: ContreeError | undefined;
    try {
      recordRun(session, options, uuid, title, env, operation);
    } catch (error) {
      if (!(error instanceof ContreeError)) throw error;
      const next = advancedImage(operation);
      unrecorded = new ContreeError(
        `${error.message}; the run (operation ${uuid}) is not in the session` +
          (next ? `: \`contree use ${next}\` continues from its image` : ""),
        error.exitCode,
      );
    }
    if (spools) {
      // Everything reached the spools: the log's output, then what only the record held.
      const spooled = (spool: ByteSpool) => new LongText(spool.size, () => spool.chunks());
      const out = deps.output();
      await out.write(runResultRow(operation, spooled(spools.stdout), spooled(spools.stderr)));
      await out.flush();
    }
    if (unrecorded) throw unrecorded;
    const code = runExitCode(operation);
    if (code !== ExitCode.OK) throw new Exit(code);
    return code;
  } finally {
    await spools?.stdout.close();
    await spools?.stderr.close();
  }
}

/**
 * A run left running on the server, pending in its session so that `session wait` (MCP:
 * `wait_operations`) records its result where the run would have. A disposable run has its
 * `disposable-<op>` branch at once, at the image it ran on; a detached one (`run -d`) its
 * `detached-<op>` branch; a kept run left by lost contact advances the session when recorded.
 */
export function leaveRunPending(
  session: RunSession,
  run: { uuid: string; title: string; disposable: boolean; detached: boolean },
): void {
  const { uuid, title, disposable } = run;
  const branch = `${disposable ? "disposable" : "detached"}-${uuid}`;
  session.addPendingOperation({ op: uuid, title, disposable, branch });
  if (disposable) session.disposableBranch(uuid, title);
  else if (run.detached) session.detachedBranch(uuid, title);
}

/** Statuses of a run whose process has not started. */
const QUEUED_STATUSES = new Set(["PENDING", "ASSIGNED"]);

/**
 * The first Ctrl-C while a run is followed goes to the sandbox's process (SIGINT, as the
 * reference does: it can finish, print what it prints and exit with its own code, and the
 * output still streams); the next one cancels the operation, as the first does for a run still
 * queued. Without interrupt scopes (tests' contexts) Ctrl-C cancels at once.
 */
function interruptTheProcess(
  ctx: Context,
  client: ContreeClient,
  uuid: string,
): { close(): void } {
  const scope = ctx.interruptScope?.();
  if (!scope) return { close: () => {} };
  scope.signal.addEventListener("abort", () => {
    scope.close(); // the next Ctrl-C reaches the run itself
    // SIGTERM (SIGHUP) aborts every scope on its way to cancelling the run: that is no Ctrl-C.
    const reason = scope.signal.reason;
    if (reason instanceof Interrupted && reason.signal !== "SIGINT") return;
    void (async () => {
      // A run still queued has no process to interrupt: Ctrl-C cancels it, as a second would.
      const operation = await client.getOperation(uuid, { maxRetries: 0, timeoutMs: 5_000 })
        .catch(() => undefined);
      if (operation && QUEUED_STATUSES.has(operation.status ?? "")) {
        ctx.log.info(`Operation ${uuid} has not started (${operation.status}): cancelling it`);
        scope.escalate();
        return;
      }
      ctx.log.info(
        `Sent SIGINT to operation ${uuid}; waiting for it to exit (Ctrl-C again to force-cancel)`,
      );
      // A run still starting answers 425 (Retry-After: 1 s): asked again a few times.
      await client.signalProcess(uuid, 1, "INT", { maxRetries: 3, timeoutMs: 10_000 }).catch((
        error,
      ) =>
        ctx.log.warning(`Could not send SIGINT to operation ${uuid}: ${(error as Error).message}`)
      );
    })();
  }, { once: true });
  return scope;
}

/** Moves the session on (or records a disposable branch). */
function recordRun(
  session: RunSession,
  options: RunOptions,
  uuid: string,
  title: string,
  env: Record<string, string>,
  operation: Operation,
): void {
  const next = advancedImage(operation);
  if (next) {
    if (options.disposable) session.disposableBranch(uuid, title);
    else {
      session.advance(next, title, uuid);
      if (options.preserveEnv) session.setPreservedEnv(next, env);
    }
  }
}
