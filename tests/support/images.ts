// Shared pieces of the images/inspection tests: a CLI harness on the fake API, a stateful image
// collection, a tar writer (including archives no honest tool would write), streamed bodies, and
// the peak memory of a child process.

import type { FileItem, Image } from "../../src/api/models.ts";
import { apiEnv, type CliResult, runCli, tempHome } from "./cli.ts";
import { FakeApi } from "./fake_api.ts";

export const IMAGE = "11111111-1111-4111-8111-111111111111";
export const OTHER = "22222222-2222-4222-8222-222222222222";

export interface Harness {
  fake: FakeApi;
  home: string;
  env: Record<string, string>;
  cli(
    args: string[],
    options?: { env?: Record<string, string>; stdin?: string; cwd?: string },
  ): Promise<CliResult>;
}

/** A fake API, a temporary CONTREE_HOME, and a session key; everything removed afterwards. */
export async function withCli(fn: (h: Harness) => Promise<void>): Promise<void> {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  const env = apiEnv(fake, home, "images-test");
  try {
    await fn({
      fake,
      home,
      env,
      cli: (args, options = {}) =>
        runCli(args, {
          env: { ...env, ...options.env },
          stdin: options.stdin,
          cwd: options.cwd ?? home,
        }),
    });
  } finally {
    await fake.close();
    await cleanup();
  }
}

export function jsonRows(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** `GET /v1/images` over a list: tag prefix, uuid, tagged, offset/limit (1–1000) as the API. */
export function serveImages(fake: FakeApi, images: Image[]): void {
  fake.on("GET", "/v1/images", (request) => {
    const q = request.query;
    const limit = Number(q.get("limit") ?? 100);
    const offset = Number(q.get("offset") ?? 0);
    if (!(limit >= 1 && limit <= 1000)) {
      return { status: 400, json: { error: "limit must be between 1 and 1000", status: 400 } };
    }
    const tag = q.get("tag");
    if (tag !== null && /[:/.]$/.test(tag)) {
      return { status: 400, json: { error: "invalid tag", status: 400 } };
    }
    const rows = images
      .filter((i) => tag === null || (i.tag ?? "").startsWith(tag))
      .filter((i) => !q.get("uuid") || i.uuid === q.get("uuid"))
      .filter((i) => q.get("tagged") !== "1" || !!i.tag);
    return { json: { images: rows.slice(offset, offset + limit) } };
  });
}

export function imageUuid(n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `aaaaaaaa-0000-4000-8000-${hex}`;
}

// ---- tar ----

export interface TarMember {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "fifo";
  data?: Uint8Array | string;
  linkname?: string;
  mode?: number;
}

const encoder = new TextEncoder();

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

/** One ustar header block. */
export function tarHeader(
  name: string,
  typeflag: string,
  size: number,
  mode: number,
  linkname = "",
): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number, length: number) =>
    block.set(encoder.encode(text).subarray(0, length), at);
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1_700_000_000, 12), 136, 12);
  put("        ", 148, 8);
  put(typeflag, 156, 1);
  put(linkname, 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  put(octal(sum, 7) + " ", 148, 8);
  return block;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

/** A ustar archive; names or link targets over 100 bytes get a pax header. */
export function tarBytes(members: TarMember[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const member of members) {
    const type = member.type ?? "file";
    const data = typeof member.data === "string" ? encoder.encode(member.data) : member.data ??
      new Uint8Array(0);
    const size = type === "file" ? data.length : 0;
    const linkname = member.linkname ?? "";
    let pax = "";
    if (encoder.encode(member.name).length > 100) pax += paxRecord("path", member.name);
    if (encoder.encode(linkname).length > 100) pax += paxRecord("linkpath", linkname);
    if (pax) {
      const paxData = encoder.encode(pax);
      blocks.push(tarHeader("PaxHeader", "x", paxData.length, 0o644), padded(paxData));
    }
    const flag = { file: "0", dir: "5", symlink: "2", hardlink: "1", fifo: "6" }[type];
    const mode = member.mode ?? (type === "dir" ? 0o755 : 0o644);
    blocks.push(tarHeader(member.name.slice(0, 100), flag, size, mode, linkname.slice(0, 100)));
    if (size > 0) blocks.push(padded(data));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

/** Every path under `dir` (relative, sorted), with `/` after directories and `@` after links. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymlink) out.push(`${path}@`);
      else if (entry.isDirectory) {
        out.push(`${path}/`);
        await walk(path);
      } else out.push(path);
    }
  };
  await walk("");
  return out.sort();
}

// ---- streams and memory ----

/**
 * A body of `size` bytes (a repeating pattern), produced as the client reads it. `beforeLast`
 * runs before the final chunk is handed over, while the client still waits for it.
 */
export function patternStream(
  size: number,
  options: { chunk?: number; beforeLast?: () => void | Promise<void> } = {},
): ReadableStream<Uint8Array> {
  const chunkSize = options.chunk ?? 256 * 1024;
  const pattern = new Uint8Array(chunkSize);
  for (let i = 0; i < chunkSize; i++) pattern[i] = 32 + (i % 90);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const left = size - sent;
      if (left <= 0) return controller.close();
      const length = Math.min(chunkSize, left);
      if (length === left) await options.beforeLast?.();
      sent += length;
      controller.enqueue(pattern.slice(0, length));
    },
  }, { highWaterMark: 0 });
}

/** A tar stream of directory `dir` holding one generated file `dir/name` of `size` bytes. */
export function bigTarStream(
  dir: string,
  name: string,
  size: number,
  options: { beforeLast?: () => void | Promise<void> } = {},
): ReadableStream<Uint8Array> {
  const parts = [
    tarHeader(`${dir}/`, "5", 0, 0o755),
    tarHeader(`${dir}/${name}`, "0", size, 0o644),
  ];
  const data = patternStream(size, options).getReader();
  const tail = [new Uint8Array((512 - (size % 512)) % 512), new Uint8Array(1024)];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (parts.length > 0) return controller.enqueue(parts.shift()!);
      const { value, done } = await data.read();
      if (!done) return controller.enqueue(value);
      for (const block of tail.splice(0)) controller.enqueue(block);
      controller.close();
    },
  }, { highWaterMark: 0 });
}

/** Peak resident memory (VmHWM) of a live process, in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]) * 1024;
}

/** A FileItem as the API lists it: a root-owned 5-byte file unless `extra` says otherwise. */
export function fileItem(path: string, extra: Partial<FileItem> = {}): FileItem {
  return {
    size: 5,
    path,
    owner: "root",
    group: "root",
    uid: 0,
    gid: 0,
    mode: 0o100644,
    mtime: 1_700_000_000,
    nlink: 1,
    is_dir: false,
    is_regular: true,
    is_symlink: false,
    is_socket: false,
    is_fifo: false,
    symlink_to: "",
    ...extra,
  };
}
