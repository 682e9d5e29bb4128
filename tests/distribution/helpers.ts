// Helpers for the distribution tests: which commands the tree has, a file server for the
// repository, and the pieces of a clean process environment.

import { buildProgram } from "../../src/cli/program.ts";
import { configPaths, ProfileStore } from "../../src/config/profiles.ts";
import { envFromRecord } from "../../src/env.ts";

export const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The top-level command names and aliases of the current tree. */
export async function topLevelCommands(): Promise<Set<string>> {
  const config = await ProfileStore.load(configPaths(envFromRecord({}), undefined));
  const program = await buildProgram(config, () => Promise.resolve());
  return new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
}

/** Prints the SKIP line the gate shows for a part that cannot run here. */
export function skip(what: string, why: string): void {
  console.log(`SKIP: ${what}: ${why}`);
}

const CONTENT_TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

/**
 * Serves the repository read-only on 127.0.0.1 (port 0), as a static web host would serve a
 * release: GET/HEAD of files, 404 for anything else (directories, `..`, missing files).
 */
export function serveRepository(): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if ((req.method !== "GET" && req.method !== "HEAD") || path.split("/").includes("..")) {
      return new Response("not found\n", { status: 404 });
    }
    try {
      const file = `${REPO}${path}`;
      if (!(await Deno.stat(file)).isFile) return new Response("not found\n", { status: 404 });
      const extension = path.slice(path.lastIndexOf(".") + 1);
      const headers = { "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream" };
      return new Response(req.method === "HEAD" ? null : await Deno.readFile(file), { headers });
    } catch {
      return new Response("not found\n", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** The machine's Deno cache directories (`deno info --json`). */
export async function denoCacheDirs(): Promise<{ denoDir: string; npmCache: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return { denoDir: info.denoDir, npmCache: info.npmCache };
}

/** True when `text` holds an ANSI escape sequence. */
export function hasAnsi(text: string): boolean {
  return text.includes("\x1b[");
}

export interface Exited {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Waits for a spawned process and decodes its output. */
export async function collect(child: Deno.ChildProcess): Promise<Exited> {
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
