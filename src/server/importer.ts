// Image imports (operations of kind `image_import`). Only the filesystem is imported, as by the
// real API (no ENV/ENTRYPOINT/CMD): the result is always a flat `podman import` with our labels.
//
// Registry URLs:
// - `docker://<registry>/<path>:<tag>` — the reference is used from local podman storage when it
//   is there (podman's `--pull=missing`; works offline), otherwise `podman pull`ed; its
//   filesystem is exported from a throw-away container and imported.
// - `file:///abs/path/rootfs.tar[.gz|.tgz|.xz|.bz2]` — a rootfs tarball on the server's machine,
//   imported as is (offline use; an extension of the API).

import type { ImageImportRequest } from "../api/models.ts";
import { PodmanFailed, type PodmanRunner, runChecked } from "../podman.ts";
import { badRequest } from "./errors.ts";
import { refuseNulBytes } from "./spawn.ts";
import { isValidTag, TAG_RULE } from "../api/image_ref.ts";
import { sniffArchive } from "../tar/sniff.ts";
import { type ImageCatalog, LABEL_OPERATION, LABEL_SERVER } from "./images.ts";
import {
  type OperationRunner,
  type Outcome,
  type RunContext,
  stoppedOutcome,
} from "./operations.ts";

export const IMPORT_DEFAULT_TIMEOUT = 300;
export const IMPORT_MAX_TIMEOUT = 3600;

export interface ImportJob {
  registry: { url: string; credentials?: { username?: string; password?: string } };
  tag: string | null;
  timeout: number;
}

/** Validates an import body; the second value is the metadata to store (password masked). */
export function parseImportRequest(body: unknown): { spec: ImportJob; metadata: ImportJob } {
  const request = body as Partial<ImageImportRequest> | null;
  if (!request || typeof request !== "object" || Array.isArray(request)) {
    throw badRequest("the body must be a JSON object");
  }
  const registry = request.registry;
  if (!registry || typeof registry !== "object" || typeof registry.url !== "string") {
    throw badRequest("registry.url is required");
  }
  refuseNulBytes(request, "the request");
  parseSource(registry.url);
  const tag = request.tag ?? null;
  if (tag !== null && !isValidTag(tag)) {
    throw badRequest(`invalid tag: ${JSON.stringify(tag)} (${TAG_RULE})`);
  }
  const timeout = request.timeout ?? IMPORT_DEFAULT_TIMEOUT;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > IMPORT_MAX_TIMEOUT) {
    throw badRequest(`timeout must be between 1 and ${IMPORT_MAX_TIMEOUT}`);
  }
  const given = registry.credentials ?? undefined;
  const field = (value: unknown) =>
    value === undefined || value === null || typeof value === "string";
  if (
    given !== undefined &&
    (typeof given !== "object" || given === null || Array.isArray(given) ||
      !field(given.username) || !field(given.password))
  ) {
    throw badRequest("registry.credentials must be an object of username and password strings");
  }
  // Only what the spec names is kept (stored in the record, written to podman's login).
  const credentials = given && {
    ...(typeof given.username === "string" ? { username: given.username } : {}),
    ...(typeof given.password === "string" ? { password: given.password } : {}),
  };
  const spec: ImportJob = { registry: { url: registry.url, credentials }, tag, timeout };
  const masked: ImportJob = {
    ...spec,
    registry: {
      url: registry.url,
      ...(credentials
        ? {
          credentials: {
            ...credentials,
            ...(credentials.password !== undefined ? { password: "<MASKED>" } : {}),
          },
        }
        : {}),
    },
  };
  return { spec, metadata: masked };
}

/** The registry of an image reference, as Docker names it (docker.io for bare names). */
export function registryHost(reference: string): string {
  const first = reference.split("/")[0];
  return reference.includes("/") &&
      (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io";
}

type Source = { kind: "docker"; reference: string } | { kind: "file"; path: string };

const ACCEPTED_FORMS =
  "expected docker://[registry/]name[:tag][@digest] (e.g. docker://docker.io/library/busybox:latest) " +
  "or file:///abs/path/rootfs.tar (a root filesystem tarball on the server's machine)";

// Docker's reference grammar (distribution/reference): lowercase path components joined by
// `.`, `_`, `__` or dashes; a registry host (with a dot or a port, or `localhost`) first; a tag
// and/or a digest last.
const DOMAIN = String.raw`(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])` +
  String.raw`(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REFERENCE = new RegExp(
  String.raw`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*` +
    String
      .raw`(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** Whether podman can parse `reference` as an image reference (docker:// without the scheme). */
export function validReference(reference: string): boolean {
  return reference.length <= 255 && REFERENCE.test(reference);
}

/** The source of an import URL; refused (400, naming the accepted forms) when podman could not
 * import it. */
function parseSource(url: string): Source {
  if (url.startsWith("docker://")) {
    const reference = url.slice("docker://".length);
    if (!validReference(reference)) {
      throw badRequest(`invalid image reference ${JSON.stringify(url)}: ${ACCEPTED_FORMS}`);
    }
    return { kind: "docker", reference };
  }
  if (url.startsWith("file://")) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest(`invalid file URL ${JSON.stringify(url)}: ${ACCEPTED_FORMS}`);
    }
    if ((parsed.host !== "" && parsed.host !== "localhost") || parsed.pathname === "/") {
      throw badRequest(`invalid file URL ${JSON.stringify(url)}: ${ACCEPTED_FORMS}`);
    }
    let path: string;
    try {
      path = decodeURIComponent(parsed.pathname);
    } catch {
      // A `%` that is not an escape (`50%off.tar`): the file's name must be written `%25`.
      throw badRequest(
        `invalid file URL ${JSON.stringify(url)}: a % must start an escape (%25 for a % itself)`,
      );
    }
    if (path.includes("\0")) throw badRequest("invalid file URL: a NUL byte in its path");
    return { kind: "file", path };
  }
  throw badRequest(`unsupported registry URL ${JSON.stringify(url)}: ${ACCEPTED_FORMS}`);
}

/**
 * A file:// import takes a root filesystem tarball, plain or compressed, and nothing else: podman
 * would read a device (`/dev/zero`: a CPU for the whole timeout) or a FIFO until it ends, and
 * its error about any other file quotes the file's sha256.
 */
async function checkTarball(path: string): Promise<void> {
  const info = await Deno.stat(path).catch(() => {
    throw new Error(`no such file on the server: ${path}`);
  });
  if (!info.isFile) {
    throw new Error("not a regular file (a file:// import takes a tarball)");
  }
  if (await sniffArchive(path) === "none") {
    throw new Error(
      "not a tar archive (a file:// import takes a root filesystem tarball)",
    );
  }
}

/** Runs imports. The registry credentials arrive as the operation's transient input: they are
 * never stored (the stored metadata has the password masked). */
export class Importer {
  constructor(private readonly podman: PodmanRunner, private readonly images: ImageCatalog) {}

  get runner(): OperationRunner {
    return (ctx) => this.#run(ctx);
  }

  async #run(ctx: RunContext): Promise<Outcome> {
    const spec = ctx.op.metadata as unknown as ImportJob;
    const credentials = (ctx.transient as ImportJob | undefined)?.registry.credentials;
    ctx.executing();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort("timeout"), spec.timeout * 1000);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const uuid = crypto.randomUUID();
    const image = { uuid, operationUuid: ctx.op.uuid, tag: spec.tag };
    const target = this.images.podmanName(uuid);
    const labels = this.images.labelChanges(image);
    try {
      const source = parseSource(spec.registry.url);
      if (source.kind === "file") {
        await checkTarball(source.path);
        await runChecked(this.podman, ["import", "--quiet", ...labels, source.path, target], {
          timeoutMs: spec.timeout * 1000,
          signal,
        });
      } else {
        await this.#importReference(source.reference, credentials, labels, target, signal, ctx);
      }
      if (signal.aborted) throw signal.reason;
      const row = await this.images.register(image, {}, signal);
      return {
        status: "SUCCESS",
        resultImageUuid: row.uuid,
        resultTag: row.tag,
        imageSize: row.size,
      };
    } catch (error) {
      // An image the import made but that is not registered goes (else the start-up sweep).
      await this.images.discard(uuid);
      if (ctx.signal.aborted) return stoppedOutcome(ctx.signal);
      if (deadline.signal.aborted) {
        return { status: "FAILED", error: `import timed out after ${spec.timeout}s` };
      }
      return { status: "FAILED", error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `podman pull`; credentials go through a temporary 0600 auth file, never the command line
   * (where other local users could read them).
   */
  async #pull(
    reference: string,
    credentials: ImportJob["registry"]["credentials"],
    signal: AbortSignal,
  ): Promise<void> {
    let authFile: string | undefined;
    try {
      if (credentials?.username) {
        authFile = await Deno.makeTempFile({ prefix: "contree-auth-", suffix: ".json" });
        await Deno.chmod(authFile, 0o600);
        const auth = btoa(`${credentials.username}:${credentials.password ?? ""}`);
        await Deno.writeTextFile(
          authFile,
          JSON.stringify({ auths: { [registryHost(reference)]: { auth } } }),
        );
      }
      await runChecked(
        this.podman,
        ["pull", "--quiet", ...(authFile ? ["--authfile", authFile] : []), reference],
        { timeoutMs: 3_600_000, signal },
      );
    } finally {
      if (authFile) await Deno.remove(authFile).catch(() => {});
    }
  }

  async #importReference(
    reference: string,
    credentials: ImportJob["registry"]["credentials"],
    labels: string[],
    target: string,
    signal: AbortSignal,
    ctx: RunContext,
  ): Promise<void> {
    const present = await this.podman.run(["image", "exists", reference], { signal });
    if (present.code !== 0) await this.#pull(reference, credentials, signal);
    const container = `contree-import-${ctx.op.uuid}`;
    await runChecked(this.podman, [
      "create",
      ...["--name", container, "--pull", "never"],
      ...["--label", `${LABEL_SERVER}=${this.images.serverId}`],
      ...["--label", `${LABEL_OPERATION}=${ctx.op.uuid}`],
      reference,
      "/contree-export",
    ], { signal });
    try {
      const exportArgs = ["export", container];
      const exporter = this.podman.spawn(exportArgs, { signal });
      const stderr = new Response(exporter.stderr).text().catch(() => "");
      await runChecked(this.podman, ["import", "--quiet", ...labels, "-", target], {
        stdin: exporter.stdout,
        timeoutMs: 3_600_000,
        signal,
      });
      const code = await exporter.exitCode;
      if (code !== 0) {
        throw new PodmanFailed(exportArgs, { code, stdout: "", stderr: await stderr });
      }
    } finally {
      await this.podman.run(["rm", "--force", container]).catch(() => {});
    }
  }
}
