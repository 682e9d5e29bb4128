// Where each agent tool reads skills (CLI spec §8.11, §2.5), and the SPEC forms that name an
// install: `KIND:` (the project, under the working directory), `KIND:~` (the tool's home),
// `KIND:PATH` (that path, as KIND) or a bare PATH (the kind guessed from it).

import { ContreeError, UsageError } from "../errors.ts";
import type { Env } from "../env.ts";
import { cleanPath } from "../sandbox_path.ts";

export const SKILL_NAME = "contree";

/** A skill directory (SKILL.md, .version, agents/openai.yaml) or one Markdown agent file. */
export type Layout = "directory" | "file";

export interface SkillKind {
  name: string;
  layout: Layout;
  /** The tool's home directory (the `:~` form lives below it). */
  home(places: Places): string;
  /** The install path below a tool directory (`.claude`, `~/.codex`, …). */
  below: string;
  /** The project form's tool directory, relative to the project root. */
  projectDir: string;
  /** Frontmatter and body flavour (see files.ts). */
  flavour: "skill" | "claude-skill" | "subagent" | "agent";
}

/** The directories the forms resolve against. */
export interface Places {
  /** The user's home directory, when known. */
  home?: string;
  /** The working directory (the project root of `KIND:`). */
  cwd: string;
  env: Pick<Env, "get">;
}

function userHome(places: Places): string {
  if (!places.home) throw new ContreeError("Cannot locate the home directory: set HOME");
  return places.home;
}

/** `$VAR` (with `~` expanded) when set and not empty, else `fallback` below the home. */
function override(variable: string, fallback: string): (places: Places) => string {
  return (places) => {
    const value = places.env.get(variable);
    if (value) return expandHome(value, places);
    return `${userHome(places)}/${fallback}`;
  };
}

const claudeHome = (places: Places) => `${userHome(places)}/.claude`;

export const KINDS: readonly SkillKind[] = [
  {
    name: "codex",
    layout: "directory",
    home: override("CODEX_HOME", ".codex"),
    below: `skills/${SKILL_NAME}`,
    projectDir: ".codex",
    flavour: "skill",
  },
  {
    name: "claude",
    layout: "directory",
    home: claudeHome,
    below: `skills/${SKILL_NAME}`,
    projectDir: ".claude",
    flavour: "claude-skill",
  },
  {
    name: "opencode",
    layout: "directory",
    home: override("OPENCODE_HOME", ".config/opencode"),
    below: `skills/${SKILL_NAME}`,
    projectDir: ".opencode",
    flavour: "skill",
  },
  {
    name: "amp",
    layout: "directory",
    home: (places) => `${userHome(places)}/.config/agents`,
    below: `skills/${SKILL_NAME}`,
    projectDir: ".amp",
    flavour: "skill",
  },
  {
    name: "cline",
    layout: "directory",
    home: override("CLINE_DIR", ".cline"),
    below: `skills/${SKILL_NAME}`,
    projectDir: ".cline",
    flavour: "skill",
  },
  {
    name: "claude-subagent",
    layout: "file",
    home: claudeHome,
    below: `agents/${SKILL_NAME}-subagent.md`,
    projectDir: ".claude",
    flavour: "subagent",
  },
  {
    name: "claude-agent",
    layout: "file",
    home: claudeHome,
    below: `agents/${SKILL_NAME}.md`,
    projectDir: ".claude",
    flavour: "agent",
  },
];

export function kindNamed(name: string): SkillKind | undefined {
  return KINDS.find((kind) => kind.name === name);
}

/** One install: a kind at a path (absolute, normalised). */
export interface Install {
  kind: SkillKind;
  path: string;
}

function expandHome(path: string, places: Places): string {
  if (path === "~" || path.startsWith("~/")) return userHome(places) + path.slice(1);
  return path;
}

/** `path` absolute and normalised (`.`, `..` and doubled slashes folded). */
export function absolutePath(path: string, places: Places): string {
  const expanded = expandHome(path, places);
  return cleanPath(expanded.startsWith("/") ? expanded : `${places.cwd}/${expanded}`);
}

/** The kind a bare path names: `*.md` is a subagent file; else the tool directory on the way. */
export function guessKind(path: string): SkillKind {
  if (path.endsWith(".md")) return kindNamed("claude-subagent")!;
  const parts = path.split("/");
  const markers: [string, string][] = [
    [".claude", "claude"],
    [".codex", "codex"],
    ["opencode", "opencode"],
    [".opencode", "opencode"],
    ["agents", "amp"],
    [".amp", "amp"],
    [".cline", "cline"],
  ];
  for (const [marker, kind] of markers) if (parts.includes(marker)) return kindNamed(kind)!;
  return kindNamed("claude")!;
}

/** The install a SPEC names. */
export function parseSpec(spec: string, places: Places): Install {
  const colon = spec.indexOf(":");
  const kind = colon > 0 ? kindNamed(spec.slice(0, colon)) : undefined;
  if (kind) {
    const hint = spec.slice(colon + 1);
    if (hint === "") {
      return { kind, path: absolutePath(`${kind.projectDir}/${kind.below}`, places) };
    }
    if (hint === "~") {
      return { kind, path: absolutePath(`${kind.home(places)}/${kind.below}`, places) };
    }
    return { kind, path: absolutePath(hint, places) };
  }
  // `cluade:` is a mistyped kind, not a directory named so in the current one.
  if (colon > 0 && /^[A-Za-z][\w-]*$/.test(spec.slice(0, colon))) {
    throw new UsageError(
      `unknown skill kind '${spec.slice(0, colon)}' (kinds: ${
        KINDS.map((k) => k.name).join(", ")
      }); a path with a colon: ./${spec}`,
    );
  }
  const path = absolutePath(spec, places);
  return { kind: guessKind(path), path };
}

/** The `:~` install of every kind whose tool home exists (no directories for absent tools). */
export function detectedInstalls(
  places: Places,
  isDirectory: (path: string) => boolean,
): Install[] {
  return KINDS.flatMap((kind) => {
    let home: string;
    try {
      home = absolutePath(kind.home(places), places);
    } catch {
      return [];
    }
    return isDirectory(home) ? [{ kind, path: `${home}/${kind.below}` }] : [];
  });
}

/** `path` with the home directory shown as `~`. */
export function displayPath(path: string, home: string | undefined): string {
  if (!home) return path;
  const root = home.replace(/\/+$/, "");
  if (path === root) return "~";
  return path.startsWith(`${root}/`) ? `~${path.slice(root.length)}` : path;
}

/** Every SPEC form, for help and completion. */
export const SPEC_FORMS: readonly string[] = KINDS.flatMap((kind) => [
  `${kind.name}:`,
  `${kind.name}:~`,
]);
