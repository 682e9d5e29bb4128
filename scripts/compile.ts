// `deno task compile [--target TRIPLE|host …] [--out DIR]`: one executable per target in dist/,
// with the release version embedded, only the permissions contree needs, and a SHA256SUMS file.
//
// The sources are staged in a temporary directory and src/build_info.ts and deno.json are
// rewritten there, so the working tree is never modified (an interrupted build or a test running
// alongside never sees a release build_info.ts). The lockfile is frozen: a release uses the
// locked versions.
//
// `deno compile` downloads its runtime (denort) per target from dl.deno.land. Where that is
// impossible, set DENORT_BIN to a local denort binary (from denort-<target>.zip of the same
// Deno version); it is then used for the host target only (a runtime is per platform), unless
// targets are named explicitly. DENORT_BIN must be denort, not the deno CLI.

import { RELEASE_VERSION } from "../src/version.ts";
import { COMPILE_PERMISSIONS } from "./permissions.ts";
import { sha256Hex } from "../src/bytes.ts";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

const ROOT = new URL("../", import.meta.url);
/** What the executable is built from (main.ts's module graph lives in src/). */
const SOURCES = ["main.ts", "deno.json", "deno.lock", "src"];

export function hostTarget(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  if (Deno.build.os === "darwin") return `${arch}-apple-darwin`;
  if (Deno.build.os === "windows") return `${arch}-pc-windows-msvc`;
  return `${arch}-unknown-linux-gnu`;
}

export function executableName(target: string): string {
  return `contree-${target}${target.includes("windows") ? ".exe" : ""}`;
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/** The release build_info.ts: a compiled binary reports `version` without looking for git. */
export function releaseBuildInfo(original: string, version: string): string {
  const line =
    `export const BUILD_INFO: { release: boolean; version: string } = { release: true, ` +
    `version: ${JSON.stringify(version)} };`;
  const rewritten = original.replace(/export const BUILD_INFO[^\n]*/, line);
  if (rewritten === original) {
    throw new Error("src/build_info.ts has no BUILD_INFO line to rewrite");
  }
  return rewritten;
}

/** deno.json's unstable feature that keeps `import()` targets out of the start-up graph. */
export const LAZY_IMPORTS = "lazy-dynamic-imports";

/**
 * The release deno.json: without the lazy imports, which `deno compile` honours too, and would
 * then embed only the modules reachable by static imports (a binary that answers `-v` and
 * nothing else).
 */
export function releaseConfig(original: string): string {
  const config = JSON.parse(original);
  const unstable = (config.unstable ?? []).filter((name: string) => name !== LAZY_IMPORTS);
  if (unstable.length > 0) config.unstable = unstable;
  else delete config.unstable;
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Runs `body` with a temporary copy of the sources that describes a release build. */
async function withStagedRelease<T>(
  version: string,
  body: (stage: string) => Promise<T>,
): Promise<T> {
  const stage = await Deno.makeTempDir({ prefix: "contree-compile-" });
  try {
    for (const name of SOURCES) {
      await copyTree(new URL(name, ROOT).pathname, `${stage}/${name}`);
    }
    const buildInfo = `${stage}/src/build_info.ts`;
    await Deno.writeTextFile(
      buildInfo,
      releaseBuildInfo(await Deno.readTextFile(buildInfo), version),
    );
    const config = `${stage}/deno.json`;
    await Deno.writeTextFile(config, releaseConfig(await Deno.readTextFile(config)));
    return await body(stage);
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

/** A reason DENORT_BIN cannot work, if any (missing, or the deno CLI itself). */
export async function checkDenortBin(path: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch {
    return `DENORT_BIN=${path} does not exist`;
  }
  if (real === await Deno.realPath(Deno.execPath())) {
    return `DENORT_BIN=${path} is the deno CLI; it must be denort (from denort-<target>.zip)`;
  }
  return undefined;
}

/** True when a compile failed because the runtime could not be downloaded. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /dl\.deno\.land|denort|error sending request|dns error|failed to lookup/i.test(stderr);
}

/** deno's error line and its most specific cause, without colours or the backtrace. */
export function summariseError(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("Stack backtrace:")[0];
  const lines = plain.split("\n").map((line) => line.trim()).filter(Boolean);
  const error = lines.find((line) => line.startsWith("error:")) ?? lines[0] ?? "";
  const causes = lines.filter((line) => /^\d+: /.test(line)).map((l) => l.replace(/^\d+: /, ""));
  const cause = causes.reduce((a, b) => b.length > a.length ? b : a, "");
  return cause ? `${error}: ${cause}` : error;
}

export interface CompileResult {
  target: string;
  path?: string;
  error?: string;
}

/**
 * Compiles `targets` into `outDir`; returns one result per target (never throws per target).
 * `runtime` is the base binary for this build (DENORT_BIN otherwise, or the download).
 */
export async function compile(
  targets: readonly string[],
  outDir: string,
  version: string = RELEASE_VERSION,
  runtime?: string,
): Promise<CompileResult[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const out = await Deno.realPath(outDir);
  return await withStagedRelease(version, async (stage) => {
    const results: CompileResult[] = [];
    for (const target of targets) {
      const output = `${out}/${executableName(target)}`;
      const command = new Deno.Command(Deno.execPath(), {
        args: [
          "compile",
          "--quiet",
          "--frozen",
          ...COMPILE_PERMISSIONS,
          "--target",
          target,
          "--output",
          output,
          "main.ts",
        ],
        cwd: stage,
        env: runtime ? { DENORT_BIN: runtime } : undefined,
        stdout: "inherit",
        stderr: "piped",
      });
      const { success, stderr } = await command.output();
      if (success) {
        results.push({ target, path: output });
        continue;
      }
      const text = new TextDecoder().decode(stderr);
      const hint = isRuntimeDownloadFailure(text)
        ? " (the runtime could not be downloaded: set DENORT_BIN to a local denort binary)"
        : "";
      results.push({ target, error: `${summariseError(text) || "deno compile failed"}${hint}` });
    }
    return results;
  });
}

/** Writes SHA256SUMS for the built executables (`sha256sum -c` format). */
export async function writeChecksums(outDir: string, results: CompileResult[]): Promise<void> {
  const lines = [];
  for (const result of results) {
    if (!result.path) continue;
    const digest = await sha256Hex(await Deno.readFile(result.path));
    lines.push(`${digest}  ${result.path.split("/").pop()}`);
  }
  if (lines.length > 0) await Deno.writeTextFile(`${outDir}/SHA256SUMS`, `${lines.join("\n")}\n`);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const targets: string[] = [];
  let outDir = new URL("dist", ROOT).pathname;
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--target" && args.length > 0) targets.push(args.shift()!);
    else if (arg === "--out" && args.length > 0) outDir = args.shift()!;
    else {
      console.error(`usage: deno task compile [--target TRIPLE|host]... [--out DIR]`);
      Deno.exit(2);
    }
  }
  const unknown = targets.filter((t) =>
    t !== "host" && !(TARGETS as readonly string[]).includes(t)
  );
  if (unknown.length > 0) {
    console.error(`unknown target ${unknown.join(", ")}; targets: host, ${TARGETS.join(", ")}`);
    Deno.exit(2);
  }
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) {
    const problem = await checkDenortBin(denortBin);
    if (problem) {
      console.error(problem);
      Deno.exit(1);
    }
  }
  const chosen = targets.length > 0
    ? targets.map((t) => t === "host" ? hostTarget() : t)
    : denortBin
    ? [hostTarget()]
    : [...TARGETS];
  const results = await compile(chosen, outDir);
  await writeChecksums(outDir, results);
  for (const result of results) {
    console.error(
      result.path ? `built ${result.path}` : `FAILED ${result.target}: ${result.error}`,
    );
  }
  Deno.exit(results.every((r) => r.path) ? 0 : 1);
}
