// `deno task compile [--target TRIPLE …] [--out DIR]`: one executable per target in dist/,
// with the release version embedded, only the permissions contree needs, and a SHA256SUMS file.
//
// `deno compile` downloads its runtime (denort) for each target. Where that is impossible, set
// DENORT_BIN to a local denort binary; it is then used for the host target only (a runtime
// is per platform), unless targets are named explicitly.

import { RELEASE_VERSION } from "../src/version.ts";
import { COMPILE_PERMISSIONS } from "./permissions.ts";

export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

const ROOT = new URL("../", import.meta.url);
const BUILD_INFO = new URL("src/build_info.ts", ROOT);

export function hostTarget(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  if (Deno.build.os === "darwin") return `${arch}-apple-darwin`;
  if (Deno.build.os === "windows") return `${arch}-pc-windows-msvc`;
  return `${arch}-unknown-linux-gnu`;
}

function executableName(target: string): string {
  return `contree-${target}${target.includes("windows") ? ".exe" : ""}`;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs `body` with src/build_info.ts marking a release build, restoring the file afterwards. */
async function withReleaseBuildInfo<T>(version: string, body: () => Promise<T>): Promise<T> {
  const original = await Deno.readTextFile(BUILD_INFO);
  const release = original.replace(
    /export const BUILD_INFO[^\n]*/,
    `export const BUILD_INFO: { release: boolean; version: string } = { release: true, version: ${
      JSON.stringify(version)
    } };`,
  );
  await Deno.writeTextFile(BUILD_INFO, release);
  try {
    return await body();
  } finally {
    await Deno.writeTextFile(BUILD_INFO, original);
  }
}

export interface CompileResult {
  target: string;
  path?: string;
  error?: string;
}

/** Compiles `targets` into `outDir`; returns one result per target (never throws per target). */
export async function compile(
  targets: readonly string[],
  outDir: string,
): Promise<CompileResult[]> {
  await Deno.mkdir(outDir, { recursive: true });
  return await withReleaseBuildInfo(RELEASE_VERSION, async () => {
    const results: CompileResult[] = [];
    for (const target of targets) {
      const output = `${outDir}/${executableName(target)}`;
      const command = new Deno.Command(Deno.execPath(), {
        args: [
          "compile",
          "--quiet",
          ...COMPILE_PERMISSIONS,
          "--target",
          target,
          "--output",
          output,
          new URL("main.ts", ROOT).pathname,
        ],
        stdout: "inherit",
        stderr: "piped",
      });
      const { success, stderr } = await command.output();
      if (success) results.push({ target, path: output });
      else {
        const detail = new TextDecoder().decode(stderr).trim().split("\n").filter(Boolean).slice(-3)
          .join(" | ");
        results.push({ target, error: detail || "deno compile failed" });
      }
    }
    return results;
  });
}

async function writeChecksums(outDir: string, results: CompileResult[]): Promise<void> {
  const lines = [];
  for (const result of results) {
    if (result.path) lines.push(`${await sha256(result.path)}  ${result.path.split("/").pop()}`);
  }
  await Deno.writeTextFile(`${outDir}/SHA256SUMS`, lines.length ? `${lines.join("\n")}\n` : "");
}

if (import.meta.main) {
  const args = [...Deno.args];
  const targets: string[] = [];
  let outDir = new URL("dist", ROOT).pathname;
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === "--target") targets.push(args.shift() ?? "");
    else if (arg === "--out") outDir = args.shift() ?? outDir;
    else {
      console.error(`usage: deno task compile [--target TRIPLE]... [--out DIR]`);
      Deno.exit(2);
    }
  }
  const chosen = targets.length > 0
    ? targets.map((t) => t === "host" ? hostTarget() : t)
    : Deno.env.get("DENORT_BIN")
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
