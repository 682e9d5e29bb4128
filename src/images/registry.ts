// Registry references for `images import` and `build`'s FROM auto-import (CLI spec §8.5):
// brace expansion, `?tag=` suffixes, URL normalisation to `docker://registry/path:tag`, derived
// tags, and waiting for an import operation to finish.

import type { ContreeClient } from "../api/client.ts";
import { type ImageImportRequest, isTerminalStatus, type Operation } from "../api/models.ts";
import { ContreeError } from "../errors.ts";
import { followOperation } from "../sse/follow.ts";

/** Expands the first `{a,b}` group: `ubuntu:{latest,noble}` → two references. */
export function expandBraces(ref: string): string[] {
  const match = /\{([^{}]*)\}/.exec(ref);
  if (!match) return [ref];
  const before = ref.slice(0, match.index);
  const after = ref.slice(match.index + match[0].length);
  return match[1].split(",").map((choice) => `${before}${choice}${after}`);
}

/** Splits an explicit `?tag=VALUE` suffix off a reference. */
export function splitTagSuffix(ref: string): { ref: string; tag?: string } {
  const at = ref.indexOf("?tag=");
  return at === -1 ? { ref } : { ref: ref.slice(0, at), tag: ref.slice(at + 5) || undefined };
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//;

/** True when the first path segment names a registry host (`ghcr.io`, `localhost:5000`). */
function isRegistryHost(segment: string): boolean {
  return segment.includes(".") || segment.includes(":") || segment === "localhost";
}

/**
 * `docker://registry/path:tag`: `docker://…` unchanged; `name` → `docker.io/library/name`;
 * a first segment with `.` or `:` is a registry (`docker.io/x` → `docker.io/library/x`);
 * otherwise a Docker Hub path; `:latest` when the last segment has no tag (or digest).
 */
export function normaliseRegistryUrl(ref: string): string {
  if (SCHEME.test(ref)) return ref; // docker://…, or another transport the server knows (file://…)
  const segments = ref.split("/");
  let registry = "docker.io";
  if (segments.length > 1 && isRegistryHost(segments[0])) registry = segments.shift()!;
  if (registry === "docker.io" && segments.length === 1) segments.unshift("library");
  const last = segments[segments.length - 1];
  if (!last.includes(":") && !last.includes("@")) segments[segments.length - 1] = `${last}:latest`;
  return `docker://${registry}/${segments.join("/")}`;
}

/** The tag an import gets by default: without `docker://`, a registry host, or `library/`. */
export function deriveTag(ref: string): string {
  if (SCHEME.test(ref) && !ref.startsWith("docker://")) {
    // file:///images/busybox.tar.gz → busybox:latest
    const base = ref.split("/").pop()!.replace(/(\.tar)?(\.(gz|tgz|xz|bz2|zst))?$/, "");
    return `${base || "image"}:latest`;
  }
  let path = ref.replace(/^docker:\/\//, "");
  const segments = path.split("/");
  if (segments.length > 1 && segments[0].includes(".")) path = segments.slice(1).join("/");
  path = path.replace(/^library\//, "");
  const last = path.split("/").pop()!;
  return last.includes(":") || last.includes("@") ? path : `${path}:latest`;
}

export interface ImportSpec {
  /** The reference as typed (after brace expansion). */
  ref: string;
  request: ImageImportRequest;
}

/** Builds the import requests of one typed reference (brace groups make several). */
export function importSpecs(
  typed: string,
  options: { username?: string; password?: string; timeout?: number } = {},
): ImportSpec[] {
  return expandBraces(typed).map((expanded) => {
    const { ref, tag } = splitTagSuffix(expanded);
    if (!ref) throw new ContreeError(`Invalid image reference '${typed}'`);
    const request: ImageImportRequest = {
      registry: { url: normaliseRegistryUrl(ref) },
      tag: tag ?? deriveTag(ref),
    };
    if (options.username !== undefined) {
      request.registry.credentials = { username: options.username, password: options.password };
    }
    if (options.timeout !== undefined) request.timeout = options.timeout;
    return { ref, request };
  });
}

/** The image an import produced: `result.image`, else `result_image_uuid`. */
export function importedImage(operation: Operation): string | undefined {
  return operation.result?.image ?? operation.result_image_uuid ?? undefined;
}

/**
 * Follows an import operation to its end (event log, falling back to polling) and returns its
 * terminal record, whatever the outcome.
 */
export async function followImport(
  client: ContreeClient,
  operationUuid: string,
  options: { timeoutMs?: number } = {},
): Promise<Operation> {
  const followed = await followOperation(client, operationUuid, { timeoutMs: options.timeoutMs });
  const operation = followed.operation ?? await client.getOperation(operationUuid);
  const completion = followed.completion.data;
  const image = importedImage(operation) ?? completion.result_image_uuid ?? null;
  const withImage = image && !importedImage(operation)
    ? { ...operation, result_image_uuid: image }
    : operation;
  if (isTerminalStatus(operation.status)) return withImage;
  // The completion arrived before the record caught up: the completion is the truth.
  return { ...withImage, status: completion.status, error: operation.error ?? completion.error };
}

/**
 * Waits for an import operation (event log, falling back to polling) and returns its record.
 * Throws when it did not succeed.
 */
export async function awaitImport(
  client: ContreeClient,
  operationUuid: string,
  options: { timeoutMs?: number } = {},
): Promise<{ operation: Operation; image: string }> {
  const operation = await followImport(client, operationUuid, options);
  const image = importedImage(operation);
  if (operation.status !== "SUCCESS" || !image) {
    throw new ContreeError(
      `Import ${operationUuid} ended with status ${operation.status}${
        operation.error ? `: ${operation.error}` : ""
      }`,
    );
  }
  return { operation, image };
}
