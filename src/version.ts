// The version string: the release version in a compiled binary, when run from a URL or from
// a checkout whose HEAD carries the release tag; `dev` in any other working tree.

import { BUILD_INFO } from "./build_info.ts";

/** The release this source tree describes; bump together with deno.json. */
export const RELEASE_VERSION = "0.1.0";

let cached: string | undefined;

export function cliVersion(): string {
  cached ??= detectVersion();
  return cached;
}

function detectVersion(): string {
  if (BUILD_INFO.release) return BUILD_INFO.version || RELEASE_VERSION;
  const here = new URL(import.meta.url);
  if (here.protocol !== "file:") return RELEASE_VERSION;
  const root = new URL("../", here);
  try {
    Deno.statSync(new URL(".git", root));
  } catch {
    return RELEASE_VERSION; // an unpacked release archive, not a working tree
  }
  try {
    const out = new Deno.Command("git", {
      args: ["-C", decodeURIComponent(root.pathname), "tag", "--points-at", "HEAD"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const tags = new TextDecoder().decode(out.stdout).split("\n").map((t) => t.trim());
    if (out.success && tags.some((t) => t === RELEASE_VERSION || t === `v${RELEASE_VERSION}`)) {
      return RELEASE_VERSION;
    }
  } catch {
    // git missing or not permitted: a working tree we cannot prove is tagged.
  }
  return "dev";
}

/** `contree/<version> Deno/<deno version> <os>-<arch>`: the -v line and the User-Agent. */
export function userAgent(): string {
  return `contree/${cliVersion()} Deno/${Deno.version.deno} ${Deno.build.os}-${Deno.build.arch}`;
}
