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
  // Without the tag anywhere in the repository HEAD cannot carry it: no git process (~7 ms).
  if (releaseTagPresent(decodeURIComponent(root.pathname)) === false) return "dev";
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

const RELEASE_TAGS = [RELEASE_VERSION, `v${RELEASE_VERSION}`];

/**
 * Whether the release tag exists in the repository of the working tree at `root`, read from
 * its files (loose tags, packed-refs; a linked worktree's `.git` file and `commondir` are
 * followed). Undefined when the layout is not understood (reftable, paths not followed).
 */
export function releaseTagPresent(root: string): boolean | undefined {
  try {
    let gitDir = `${root.replace(/\/+$/, "")}/.git`;
    if (Deno.statSync(gitDir).isFile) {
      const pointer = /^gitdir:\s*(.+)$/m.exec(Deno.readTextFileSync(gitDir))?.[1]?.trim();
      if (!pointer) return undefined;
      gitDir = pointer.startsWith("/") ? pointer : `${root}/${pointer}`;
    }
    let common = gitDir;
    const commondir = readOptional(`${gitDir}/commondir`)?.trim();
    if (commondir) common = commondir.startsWith("/") ? commondir : `${gitDir}/${commondir}`;
    // Not a directory layout read here (a path we could not follow, reftable refs): ask git.
    if (!exists(`${common}/refs`) || exists(`${common}/reftable`)) return undefined;
    if (RELEASE_TAGS.some((tag) => exists(`${common}/refs/tags/${tag}`))) return true;
    const packed = (readOptional(`${common}/packed-refs`) ?? "").split("\n");
    return packed.some((line) => RELEASE_TAGS.some((tag) => line.endsWith(` refs/tags/${tag}`)));
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** `contree/<version> Deno/<deno version> <os>-<arch>`: the -v line and the User-Agent. */
export function userAgent(): string {
  return `contree/${cliVersion()} Deno/${Deno.version.deno} ${Deno.build.os}-${Deno.build.arch}`;
}

/** The root's flags that print the version (`contree -v`). */
export const VERSION_FLAGS: ReadonlySet<string> = new Set(["-v", "--version"]);
