// `contree images import REF…` (CLI spec §8.5): every import is started first, then all are
// followed at once (event log, falling back to polling); a row is printed as each one ends.
// Progress goes to stderr (an elapsed-time line on a terminal). Exit 1 when any import failed.
// Ctrl-C cancels the imports still running, then exits 130.

import { isRefusedConnection } from "../api/client.ts";
import { DeadlineError, NetworkError } from "../api/errors.ts";
import type { Operation } from "../api/models.ts";
import { ContreeError, Exit, Interrupted, rethrowNotAuthenticated, UsageError } from "../errors.ts";
import { formatEta, StatusLine } from "../inspect/progress.ts";
import { type Row, rowPrinter } from "../output/formatter.ts";
import { streamMode } from "../style.ts";
import type { ImagesDeps } from "./deps.ts";
import { followImport, importedImage, type ImportSpec, importSpecs } from "./registry.ts";

export interface ImportOptions {
  refs: string[];
  username?: string;
  password?: string;
  /** Server-side import timeout, seconds. */
  timeout?: number;
}

export interface ImportDeps extends ImagesDeps {
  /** Asks for the registry password (hidden on a terminal); undefined when none was given. */
  askPassword(): Promise<string | undefined>;
}

/** The server's import timeout when none is given (API spec §3.2). */
const SERVER_DEFAULT_TIMEOUT_S = 300;
/** How long past the import's own timeout we keep following before giving up on it. */
const FOLLOW_GRACE_S = 60;
const CANCEL_TIMEOUT_MS = 10_000;

/** `abc***`: the first three characters of a secret long enough to keep some of it hidden. */
export function maskSecret(secret: string): string {
  return secret.length > 6 ? `${secret.slice(0, 3)}***` : "***";
}

function credentialsText(spec: ImportSpec): string {
  const credentials = spec.request.registry.credentials;
  return credentials?.username === undefined
    ? "anonymous credentials"
    : `credentials ${credentials.username}:${maskSecret(credentials.password ?? "")}`;
}

/**
 * The reference's row: the operation's fields with `uuid` (the operation), `registry_url`,
 * `image`.
 */
export function importRow(operation: Operation, spec: ImportSpec): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(operation)) if (key !== "error") row[key] = value;
  row.uuid = operation.uuid;
  row.registry_url = spec.request.registry.url;
  row.image = importedImage(operation) ?? "";
  row.error = operation.error ?? null;
  return row;
}

/**
 * The operation of an import the server refused at once (or whose answer was lost: UNKNOWN): the
 * fields of a followed one, empty, so that a refusal printed first does not narrow every row's
 * columns.
 */
function refusedImport(error: string, status = "FAILED"): Operation {
  return {
    uuid: "",
    kind: "image_import",
    status,
    error,
    created_at: null,
    duration: null,
    image_size: null,
    result_image_uuid: null,
  } as unknown as Operation;
}

interface Running {
  spec: ImportSpec;
  uuid: string;
  started: number;
}

export async function importImages(deps: ImportDeps, options: ImportOptions): Promise<number> {
  const { ctx, client } = deps;
  const { log, clock } = ctx;
  if (options.password !== undefined && options.username === undefined) {
    throw new UsageError("--password needs --username");
  }
  let password = options.password;
  if (options.username !== undefined && password === undefined) {
    password = await deps.askPassword();
    if (password === undefined) throw new ContreeError("No registry password given");
  }
  const specs = options.refs.flatMap((ref) =>
    importSpecs(ref, { username: options.username, password, timeout: options.timeout })
  );
  const timeoutMs = ((options.timeout ?? SERVER_DEFAULT_TIMEOUT_S) + FOLLOW_GRACE_S) * 1000;

  const out = deps.output({ tail: ["error"] });
  const emit = rowPrinter(out);

  const running = new Map<string, Running>();
  const status = streamMode(ctx.stderr.isTerminal, ctx.env).tty
    ? new StatusLine(ctx.stderr, log)
    : undefined;
  const began = clock.monotonic();
  const showStatus = () =>
    status?.show(
      `Waiting for ${running.size} import(s)… ${formatEta((clock.monotonic() - began) / 1000)}`,
    );
  let ticker: ReturnType<typeof setInterval> | undefined;
  let failed = 0;

  const finish = async (item: Running, operation: Operation) => {
    running.delete(item.uuid);
    status?.clear();
    const url = item.spec.request.registry.url;
    const image = importedImage(operation);
    const seconds = ((clock.monotonic() - item.started) / 1000).toFixed(1);
    if (operation.status === "SUCCESS" && image) {
      log.info(`Imported ${url} as ${item.spec.request.tag}: image ${image} (${seconds}s)`);
    } else {
      failed++;
      log.error(
        `Import of ${url} ended with status ${operation.status}${
          operation.error ? `: ${operation.error}` : ""
        }`,
      );
    }
    await emit(importRow(operation, item.spec));
    if (running.size > 0) showStatus();
  };

  const follow = async (item: Running) => {
    let operation: Operation;
    try {
      operation = await followImport(client, item.uuid, { timeoutMs });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      rethrowNotAuthenticated(error);
      if (error instanceof Interrupted || !(error instanceof ContreeError)) throw error;
      const message = error instanceof DeadlineError
        ? `still not finished after ${timeoutMs / 1000}s (see \`contree show ${item.uuid}\`)`
        : error.message;
      operation = { uuid: item.uuid, status: "UNKNOWN", error: message };
    }
    await finish(item, operation);
  };

  try {
    for (const spec of specs) {
      const url = spec.request.registry.url;
      log.info(`Starting import ${url} with tag ${spec.request.tag} and ${credentialsText(spec)}`);
      try {
        const { uuid } = await client.importImage(spec.request);
        running.set(uuid, { spec, uuid, started: clock.monotonic() });
        log.debug(`Import of ${url} is operation ${uuid}`);
      } catch (error) {
        rethrowNotAuthenticated(error);
        if (error instanceof Interrupted || !(error instanceof ContreeError)) throw error;
        failed++;
        if (error instanceof NetworkError && !isRefusedConnection(error)) {
          // The answer was lost, not necessarily the request (not retried: it would start a
          // second import): the server may be importing it, so the outcome is not known.
          const message = `${error.message.replace(/^Network error: /, "")}; the import may ` +
            "have started on the server all the same: see `contree op list -k image_import`";
          log.error(`Import of ${url}: ${message}`);
          await emit(importRow(refusedImport(message, "UNKNOWN"), spec));
          continue;
        }
        log.error(`Import of ${url} failed: ${error.message}`);
        await emit(importRow(refusedImport(error.message), spec));
      }
    }
    if (status && running.size > 0) {
      showStatus();
      ticker = setInterval(showStatus, 1000);
    }
    await Promise.all([...running.values()].map(follow));
  } catch (error) {
    // No redraw while the cancels are sent: their lines would be glued to it.
    clearInterval(ticker);
    status?.clear();
    if (error instanceof Interrupted && running.size > 0) {
      await Promise.all([...running.keys()].map(async (uuid) => {
        try {
          await client.cancelOperation(uuid, {
            ignoreInterrupt: true,
            timeoutMs: CANCEL_TIMEOUT_MS,
            maxRetries: 1,
          });
          log.info(`Cancelled import ${uuid}`);
        } catch (cancelError) {
          log.warning(`Cancelling import ${uuid} failed: ${(cancelError as Error).message}`);
        }
      }));
    }
    throw error;
  } finally {
    clearInterval(ticker);
    status?.clear();
  }
  if (failed > 0) throw new Exit(1);
  return 0;
}
