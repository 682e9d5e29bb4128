// `.dockerignore` / `.containerignore` with Docker's rules (moby/patternmatcher, which both
// `docker build` and BuildKit use):
//   - one pattern per line; `#` lines and blank lines are skipped; surrounding spaces trimmed;
//   - patterns are cleaned like Go's filepath.Clean and are relative to the context root (a
//     leading `/` is dropped): `*.md` matches `README.md` but not `docs/a.md`;
//   - `*` any run of non-`/` characters, `?` one non-`/` character, `[a-z]` classes, `\` escapes,
//     `**` any number of directories (also none);
//   - a pattern also matches every path below a matching directory (`docs` excludes `docs/a/b`);
//   - `!pattern` re-includes; the last matching line wins.
// Hand-written (about 100 lines) because the npm ports differ from moby in corner cases
// (`**foo`, `foo/**`) that decide what lands in an image.

import { cleanPath, normaliseSandboxPath } from "../sandbox_path.ts";

interface Pattern {
  exclusion: boolean;
  /** The cleaned pattern (for prefix/suffix forms). */
  cleaned: string;
  match: (path: string) => boolean;
}

const REGEX_SPECIAL = new Set([".", "+", "(", ")", "|", "{", "}", "$", "^"]);

/** Compiles one cleaned pattern the way moby's Pattern.compile does. */
function compile(cleaned: string): (path: string) => boolean {
  let regex = "^";
  let type: "exact" | "prefix" | "suffix" | "regexp" = "exact";
  const chars = [...cleaned];
  for (let at = 0, step = 0; at < chars.length; step++) {
    const ch = chars[at++];
    if (ch === "*" && chars[at] === "*") {
      at++;
      if (chars[at] === "/") at++; // "**/" counts as "**"
      if (at >= chars.length) {
        // "**" at the end: everything below
        if (type === "exact") type = "prefix";
        else {
          regex += ".*";
          type = "regexp";
        }
      } else {
        regex += "(.*/)?";
        type = "regexp";
      }
      if (step === 0) type = "suffix";
    } else if (ch === "*") {
      regex += "[^/]*";
      type = "regexp";
    } else if (ch === "?") {
      regex += "[^/]";
      type = "regexp";
    } else if (REGEX_SPECIAL.has(ch)) {
      regex += `\\${ch}`;
    } else if (ch === "\\") {
      // As moby's patternmatcher: an escape makes a regexp pattern (`\#x` matches `#x`).
      if (at < chars.length) {
        regex += `\\${chars[at++]}`;
        type = "regexp";
      } else regex += "\\\\";
    } else if (ch === "[" || ch === "]") {
      regex += ch;
      type = "regexp";
    } else {
      regex += ch;
    }
  }
  if (type === "exact") return (path) => path === cleaned;
  if (type === "prefix") {
    const prefix = cleaned.slice(0, -2);
    return (path) => path.startsWith(prefix);
  }
  if (type === "suffix") {
    const suffix = cleaned.slice(2);
    return (path) => path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(`${regex}$`, "s");
  } catch {
    throw new SyntaxError(`invalid pattern '${cleaned}'`);
  }
  return (path) => compiled.test(path);
}

export class IgnoreMatcher {
  readonly #patterns: Pattern[];

  private constructor(patterns: Pattern[]) {
    this.#patterns = patterns;
  }

  /** An empty matcher (no ignore file). */
  static none(): IgnoreMatcher {
    return new IgnoreMatcher([]);
  }

  /** Parses ignore-file text; a malformed pattern throws a SyntaxError naming it. */
  static parse(text: string): IgnoreMatcher {
    const patterns: Pattern[] = [];
    for (const rawLine of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
      let line = rawLine.trim();
      if (line === "" || line.startsWith("#")) continue;
      const exclusion = line.startsWith("!");
      if (exclusion) line = line.slice(1).trim();
      if (line === "") continue;
      let cleaned = cleanPath(line);
      if (cleaned.length > 1 && cleaned.startsWith("/")) cleaned = cleaned.slice(1);
      patterns.push({ exclusion, cleaned, match: compile(cleaned) });
    }
    return new IgnoreMatcher(patterns);
  }

  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /** True when some `!` line could re-include a path below an excluded directory. */
  get hasExceptions(): boolean {
    return this.#patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative to the context root, `/`-separated) is excluded. */
  excludes(path: string): boolean {
    const file = cleanPath(path);
    const parent = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
    const parentDirs = parent === "." ? [] : parent.split("/");
    let matched = false;
    for (const pattern of this.#patterns) {
      // An exclusion only matters once something matched, an inclusion only until then.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      for (let i = 0; !match && i < parentDirs.length; i++) {
        match = pattern.match(parentDirs.slice(0, i + 1).join("/"));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/** The ignore file of a build: `<Dockerfile>.dockerignore`, `.containerignore`, `.dockerignore`. */
export async function loadIgnoreFile(
  contextDir: string,
  dockerfilePath: string,
): Promise<{ matcher: IgnoreMatcher; path?: string }> {
  const candidates = [
    `${dockerfilePath}.dockerignore`,
    `${contextDir}/.containerignore`,
    `${contextDir}/.dockerignore`,
  ];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await Deno.readTextFile(candidate);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
        continue;
      }
      throw error;
    }
    return { matcher: IgnoreMatcher.parse(text), path: normaliseSandboxPath(candidate) };
  }
  return { matcher: IgnoreMatcher.none() };
}
