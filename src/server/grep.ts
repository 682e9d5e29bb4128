// `GET /inspect/{image}/grep` (API spec §3.7): ripgrep (`rg --json`) over the image's filesystem,
// mounted read-only, never over the host. The request paths are resolved inside the image first
// (chroot semantics, as every inspect path), rg runs in the mount with relative paths and does
// not follow symlinks, and the paths it reports are turned back into image paths. The answer is
// bounded: at most `max_total` matching lines, 16 MiB of line text, 60 s; beyond that
// `truncated` is true.

import type { GrepMatch, GrepResult } from "../api/models.ts";
import { base64ToBytes } from "../api/stream_repr.ts";
import { badRequest, HttpError, notFound } from "./errors.ts";
import { resolveInImage } from "./inspect.ts";

export interface GrepRequest {
  patterns: string[];
  /** Image paths to search (default `/`). */
  paths: string[];
  globs: string[];
  /** Matching lines per file. */
  maxCount?: number;
  /** Matching lines in all (default 1000). */
  maxTotal: number;
  caseMode: "sensitive" | "insensitive" | "smart";
  before: number;
  after: number;
}

export const GREP_LIMITS = {
  patterns: 32,
  patternLength: 4096,
  maxTotalDefault: 1000,
  maxTotal: 10_000,
  maxCount: 10_000,
  context: 100,
  /** Line text kept in one answer. */
  textBytes: 16 * 2 ** 20,
  timeoutMs: 60_000,
};

function boundedInt(query: URLSearchParams, name: string, min: number, max: number) {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw badRequest(`${name} must be between ${min} and ${max}`);
  }
  return number;
}

const CASE_MODES: Record<string, GrepRequest["caseMode"]> = {
  sensitive: "sensitive",
  insensitive: "insensitive",
  ignore: "insensitive",
  smart: "smart",
};

/** The query of a grep request (repeatable `pattern`, `path`, `glob`). */
export function parseGrepQuery(query: URLSearchParams): GrepRequest {
  const patterns = query.getAll("pattern");
  if (patterns.length === 0 || patterns.some((p) => p === "")) {
    throw badRequest("pattern is required (repeat it for several)");
  }
  if (patterns.length > GREP_LIMITS.patterns) {
    throw badRequest(`at most ${GREP_LIMITS.patterns} patterns`);
  }
  if (patterns.some((p) => p.length > GREP_LIMITS.patternLength)) {
    throw badRequest(`a pattern is at most ${GREP_LIMITS.patternLength} characters`);
  }
  // rg gets them as arguments, which cannot hold a NUL (the spawn would fail).
  for (const name of ["pattern", "glob"]) {
    if (query.getAll(name).some((value) => value.includes("\0"))) {
      throw badRequest(`${name} must not contain a NUL byte`);
    }
  }
  const caseText = (query.get("case") || "sensitive").toLowerCase();
  const caseMode = CASE_MODES[caseText];
  if (!caseMode) throw badRequest("case must be sensitive, insensitive or smart");
  return {
    patterns,
    paths: query.getAll("path").filter((p) => p !== ""),
    globs: query.getAll("glob").filter((g) => g !== ""),
    maxCount: boundedInt(query, "max_count", 1, GREP_LIMITS.maxCount),
    maxTotal: boundedInt(query, "max_total", 1, GREP_LIMITS.maxTotal) ??
      GREP_LIMITS.maxTotalDefault,
    caseMode,
    before: boundedInt(query, "before", 0, GREP_LIMITS.context) ?? 0,
    after: boundedInt(query, "after", 0, GREP_LIMITS.context) ?? 0,
  };
}

/** rg's "arbitrary data": `{text}` or `{bytes}` (base64) when it is not valid UTF-8. */
type RgData = { text?: string; bytes?: string };

const lossy = new TextDecoder();

function dataText(data: RgData | undefined): string {
  if (data?.text !== undefined) return data.text;
  return data?.bytes ? lossy.decode(base64ToBytes(data.bytes)) : "";
}

/** An image path from a path rg printed relative to the mount (`./etc/x` → `/etc/x`). */
function imagePath(data: RgData): string {
  const path = dataText(data);
  return path === "." ? "/" : `/${path.replace(/^\.\//, "")}`;
}

function rgArgs(request: GrepRequest, relativePaths: string[]): string[] {
  return [
    ...["--json", "--no-config", "--hidden", "--no-ignore", "--one-file-system", "--no-messages"],
    request.caseMode === "insensitive"
      ? "--ignore-case"
      : request.caseMode === "smart"
      ? "--smart-case"
      : "--case-sensitive",
    ...(request.maxCount ? ["--max-count", String(request.maxCount)] : []),
    ...(request.before ? ["--before-context", String(request.before)] : []),
    ...(request.after ? ["--after-context", String(request.after)] : []),
    ...request.globs.flatMap((glob) => ["--glob", glob]),
    ...request.patterns.flatMap((pattern) => ["--regexp", pattern]),
    "--",
    ...relativePaths,
  ];
}

/** Searches the image mounted at `root`. */
export async function grepImage(root: string, request: GrepRequest): Promise<GrepResult> {
  const requested = request.paths.length > 0 ? request.paths : ["/"];
  const relativePaths: string[] = [];
  for (const path of requested) {
    const resolved = await resolveInImage(root, path);
    if (!resolved) throw notFound(`no such file or directory: ${path}`);
    if (!resolved.info.isDirectory && !resolved.info.isFile) {
      throw new HttpError(422, `not a file or directory: ${path}`);
    }
    relativePaths.push(resolved.path === "/" ? "." : `.${resolved.path}`);
  }

  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("rg", {
      args: rgArgs(request, relativePaths),
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { LC_ALL: "C.UTF-8" },
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new HttpError(500, "grep needs ripgrep (rg) on the server's machine");
    }
    // Its message may name the image mount (a host path): not passed on.
    throw new HttpError(500, "grep could not start rg");
  }
  const stderr = new Response(child.stderr).text();
  const matches: GrepMatch[] = [];
  let truncated = false;
  let textBytes = 0;
  let matched = 0;
  const stop = () => {
    truncated = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(stop, GREP_LIMITS.timeoutMs);
  try {
    for await (const line of jsonLines(child.stdout, GREP_LIMITS.textBytes, stop)) {
      if (truncated) break;
      const message = JSON.parse(line) as { type: string; data: Record<string, unknown> };
      if (message.type !== "match" && message.type !== "context") continue;
      if (message.type === "match" && ++matched > request.maxTotal) {
        stop();
        break;
      }
      const data = message.data as {
        path: RgData;
        lines: RgData;
        line_number: number | null;
        absolute_offset: number;
        submatches: { match: RgData; start: number; end: number }[];
      };
      const text = dataText(data.lines);
      textBytes += text.length;
      if (textBytes > GREP_LIMITS.textBytes) {
        stop();
        break;
      }
      matches.push({
        path: imagePath(data.path),
        line_number: data.line_number,
        absolute_offset: data.absolute_offset,
        line_text: text,
        line_bytes: data.lines.bytes ?? null,
        submatches: data.submatches.map((sub) => ({
          text: dataText(sub.match),
          start: sub.start,
          end: sub.end,
        })),
        type: message.type,
      });
    }
  } finally {
    clearTimeout(timer);
    await child.stdout.cancel().catch(() => {});
  }
  const status = await child.status;
  const errors = await stderr;
  // 0: matches, 1: none, 2: an error — fatal only when rg never searched (a bad pattern).
  if (!truncated && status.code === 2 && matches.length === 0 && errors.trim()) {
    throw badRequest(`grep: ${oneLine(errors.trim().split(root).join("")).slice(0, 1000)}`);
  }
  return { path: requested[0], patterns: request.patterns, matches, truncated };
}

/** The lines of a byte stream; a line longer than `maxLine` calls `tooLong` and ends it. */
async function* jsonLines(
  stream: ReadableStream<Uint8Array>,
  maxLine: number,
  tooLong: () => void,
): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line) yield line;
    }
    if (pending.length > maxLine) {
      tooLong();
      return;
    }
  }
  if (pending) yield pending;
}

/**
 * ripgrep's message as one line: "regex parse error:", the pattern and a caret, then
 * "error: unclosed group" become "regex parse error: unclosed group (in `(`)".
 */
export function oneLine(message: string): string {
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const reason = lines.findIndex((line) => line.startsWith("error: "));
  if (lines.length > 1 && lines[0].endsWith(":") && reason > 0) {
    const shown = lines.slice(1, reason).filter((line) => !/^\^+$/.test(line)).join(" ");
    return `${lines[0]} ${lines[reason].slice(7)}${shown ? ` (in \`${shown}\`)` : ""}`;
  }
  return lines.join("; ");
}
