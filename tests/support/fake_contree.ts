// A stateful ConTree fake for build tests, on the FakeApi: content-addressed files (uploads
// recorded with their bodies), spawns that each get an event log and a result image, tags,
// imports, and inspect downloads/archives scripted per image and path.

import { createHash } from "node:crypto";
import type { InstanceSpawnRequest } from "../../src/api/models.ts";
import { TAR_END, tarHeader, tarPadding } from "../../src/tar/write.ts";
import { type CliResult, runCli, spawnCli, tempHome } from "./cli.ts";
import { FakeApi, type StreamStep } from "./fake_api.ts";
import { installEventLog, runEvents } from "./fake_events.ts";

export const BASE = "baseba5e-0000-4000-8000-000000000001";

export interface SpawnOutcome {
  chunks?: { stream: "stdout" | "stderr"; bytes: string }[];
  exit?: number;
  status?: "SUCCESS" | "FAILED";
  /** A fully scripted event stream instead of the standard log. */
  steps?: (op: string, image: string) => StreamStep[];
}

export interface Upload {
  sha256: string;
  size: number;
  body: Uint8Array;
}

function hexUuid(prefix: string, n: number): string {
  return `${prefix}-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

export function fileUuid(sha256: string): string {
  return `${sha256.slice(0, 8)}-${sha256.slice(8, 12)}-4${sha256.slice(13, 16)}-8${
    sha256.slice(17, 20)
  }-${sha256.slice(20, 32)}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A tar of in-memory members (for archive routes). */
export function tarOf(
  members: {
    name: string;
    content?: string;
    mode?: number;
    uid?: number;
    gid?: number;
    link?: string;
  }[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const content = new TextEncoder().encode(m.content ?? "");
    const type = m.link !== undefined ? "symlink" : m.content === undefined ? "directory" : "file";
    parts.push(tarHeader({
      name: m.name,
      type,
      mode: m.mode ?? (type === "directory" ? 0o755 : 0o644),
      uid: m.uid,
      gid: m.gid,
      size: type === "file" ? content.length : 0,
      linkname: m.link,
    }));
    if (type === "file") parts.push(content, tarPadding(content.length));
  }
  parts.push(TAR_END);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class FakeContree {
  readonly api = FakeApi.start();
  readonly files = new Map<string, Upload & { uuid: string }>();
  readonly uploads: Upload[] = [];
  readonly spawns: InstanceSpawnRequest[] = [];
  readonly tags = new Map<string, string>([["busybox:latest", BASE]]);
  readonly tagged: { image: string; tag: string }[] = [];
  readonly imports: unknown[] = [];
  /** `<image>:<path>` (or `*:<path>` for any image) → tar bytes. */
  readonly archives = new Map<string, Uint8Array>();
  /** `<image>:<path>` (or `*:<path>`) → file text. */
  readonly downloads = new Map<string, string>();
  /** Decides what spawn number `index` (0-based) prints and returns. */
  onSpawn: (request: InstanceSpawnRequest, index: number) => SpawnOutcome = (request) => ({
    chunks: [{ stream: "stdout", bytes: `ran: ${request.command}\n` }],
  });

  constructor() {
    const api = this.api;
    api.on("POST", "/v1/files", (request) => {
      const sha = sha256(request.body);
      const upload = { sha256: sha, size: request.body.length, body: request.body };
      this.uploads.push(upload);
      this.files.set(sha, { ...upload, uuid: fileUuid(sha) });
      return { status: 201, json: { uuid: fileUuid(sha), sha256: sha, size: upload.size } };
    });
    api.on("GET", "/v1/files/:sha", (_request, params) => {
      const file = this.files.get(params.sha);
      return file
        ? {
          json: {
            uuid: file.uuid,
            sha256: file.sha256,
            size: file.size,
            created_at: "2026-06-08T20:00:00Z",
            updated_at: "2026-06-08T20:00:00Z",
          },
        }
        : { status: 404, json: { error: "file not found", status: 404 } };
    });
    api.on("GET", "/v1/images", (request) => {
      const wanted = request.query.get("tag") ?? "";
      const images = [...this.tags.entries()]
        .filter(([tag]) => tag.startsWith(wanted))
        .map(([tag, uuid]) => ({ uuid, tag, created_at: "2026-06-08T20:00:00Z" }));
      const offset = Number(request.query.get("offset") ?? 0);
      return { json: { images: images.slice(offset) } };
    });
    api.on("PATCH", "/v1/images/:uuid/tag", (request, params) => {
      const tag = JSON.parse(new TextDecoder().decode(request.body)).tag;
      this.tagged.push({ image: params.uuid, tag });
      this.tags.set(tag, params.uuid);
      return { json: { uuid: params.uuid, tag } };
    });
    api.on("POST", "/v1/images/import", (request) => {
      const body = JSON.parse(new TextDecoder().decode(request.body));
      this.imports.push(body);
      const n = this.imports.length;
      const op = hexUuid("1a1a1a1a", n);
      const image = hexUuid("1b1b1b1b", n);
      const events = runEvents([]).map((e) =>
        e.type === "completion" ? { ...e, data: { ...e.data, result_image_uuid: image } } : e
      );
      installEventLog(api, op, events);
      api.on("GET", `/v1/operations/${op}`, () => ({
        json: {
          uuid: op,
          kind: "image_import",
          status: "SUCCESS",
          result_image_uuid: image,
          result: { image, tag: body.tag },
        },
      }));
      this.tags.set(body.tag, image);
      return { status: 201, json: { uuid: op } };
    });
    api.on("GET", "/v1/inspect/:uuid/archive", (request, params) => {
      const path = request.query.get("path");
      const tar = this.archives.get(`${params.uuid}:${path}`) ?? this.archives.get(`*:${path}`);
      return tar
        ? { bytes: tar, headers: { "content-type": "application/x-tar" } }
        : { status: 404, json: { error: "no such path", status: 404 } };
    });
    api.on("GET", "/v1/inspect/:uuid/download", (request, params) => {
      const path = request.query.get("path");
      const text = this.downloads.get(`${params.uuid}:${path}`) ?? this.downloads.get(`*:${path}`);
      return text !== undefined
        ? { text }
        : { status: 404, json: { error: "no such file", status: 404 } };
    });
    api.on("POST", "/v1/instances", (request) => {
      const spawn = JSON.parse(new TextDecoder().decode(request.body)) as InstanceSpawnRequest;
      const index = this.spawns.length;
      this.spawns.push(spawn);
      const op = opUuid(index);
      const image = resultUuid(index);
      const outcome = this.onSpawn(spawn, index);
      const status = outcome.status ?? "SUCCESS";
      if (outcome.steps) {
        api.on("GET", `/v1/operations/${op}/events`, () => ({ events: outcome.steps!(op, image) }));
        api.on("GET", `/v1/operations/${op}`, () => ({
          json: { uuid: op, kind: "instance", status, result_image_uuid: image },
        }));
      } else {
        const events = runEvents(outcome.chunks ?? [], { code: outcome.exit ?? 0 }, status).map(
          (e) =>
            e.type === "completion" && status === "SUCCESS"
              ? { ...e, data: { ...e.data, result_image_uuid: image } }
              : e,
        );
        installEventLog(api, op, events);
      }
      return { status: 201, json: { uuid: op, status: "PENDING" } };
    });
    api.on("DELETE", "/v1/operations/:uuid", () => ({ status: 202 }));
  }

  /** Method and path of the uploads and spawns, in request order. */
  sequence(): string[] {
    return this.api.requests
      .filter((r) => r.method === "POST" && (r.path === "/v1/files" || r.path === "/v1/instances"))
      .map((r) => {
        if (r.path === "/v1/files") return `upload ${new TextDecoder().decode(r.body)}`;
        const spawn = JSON.parse(new TextDecoder().decode(r.body)) as InstanceSpawnRequest;
        return `spawn ${spawn.image} ${spawn.command}`;
      });
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

export function opUuid(index: number): string {
  return hexUuid("0b0b0b0b", index);
}

export function resultUuid(index: number): string {
  return hexUuid("1e1e1e1e", index);
}

/** A build context directory with `files` (path → content; a trailing `/` makes a directory). */
export async function makeContext(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "contree-build-ctx-" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (!path.endsWith("/")) await Deno.writeTextFile(full, content);
  }
  return dir;
}

export interface BuildEnv {
  fake: FakeContree;
  env: Record<string, string>;
  home: string;
  build(args: string[], cwd?: string): Promise<CliResult>;
  spawnBuild(args: string[], cwd?: string): Deno.ChildProcess;
}

/** Runs `fn` with a fresh fake and CONTREE_HOME; uploads run one at a time (stable order). */
export async function withFake(fn: (e: BuildEnv) => Promise<void>): Promise<void> {
  const fake = new FakeContree();
  const { home, cleanup } = await tempHome();
  const env = {
    CONTREE_HOME: home,
    CONTREE_URL: fake.api.url,
    CONTREE_TOKEN: fake.api.token,
    CONTREE_CONCURRENCY: "1",
  };
  try {
    await fn({
      fake,
      env,
      home,
      build: (args, cwd) => runCli(["build", ...args], { env, cwd }),
      spawnBuild: (args, cwd) => spawnCli(["build", ...args], { env, cwd }),
    });
  } finally {
    await fake.close();
    await cleanup();
  }
}
