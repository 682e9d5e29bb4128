// `contree skill list|install|remove|upgrade [SPEC…]` (CLI spec §8.11): agent-tool skill files
// for Codex, Claude Code, OpenCode, Amp and Cline, in the project or in the tool's home.
//
// Deviations (docs/DEVIATIONS.md): `remove` deletes only the files an install writes (never a
// directory with anything else in it, never a file without the install's stamp); `install`
// without SPEC installs only for tools whose home directory exists; Markdown installs carry
// their version in a stamp line, so `list` knows whether every kind is current.

import type { Context } from "../context.ts";
import { ContreeError, Exit } from "../errors.ts";
import { isDirectory, writeFileAtomic } from "../files.ts";
import type { ColumnOrder, Formatter } from "../output/formatter.ts";
import { confirm } from "../prompt.ts";
import { CODEX_RULES, mainFile, type Manual, openaiYaml, stampedVersion } from "./files.ts";
import {
  detectedInstalls,
  displayPath,
  guessKind,
  type Install,
  kindNamed,
  parseSpec,
  type Places,
  SKILL_NAME,
} from "./layout.ts";
import type { SkillRegistry } from "./registry.ts";

export interface SkillDeps {
  ctx: Context;
  places: Places;
  /** The skills.db of this CONTREE_HOME (opened on first use). */
  registry(): Promise<SkillRegistry>;
  /** The version stamped into what an install writes. */
  version: string;
  /** The manual of `contree agent`: the body of the skill. */
  manual(): Manual;
  output(order?: ColumnOrder): Formatter;
}

const ACTION_COLUMNS: ColumnOrder = { head: ["action", "name", "kind", "path"] };

function textOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function parent(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The Markdown file that carries the stamp: SKILL.md of a directory, or the file itself. */
function markdownPath(install: Install): string {
  return install.kind.layout === "directory" ? `${install.path}/SKILL.md` : install.path;
}

/** Codex's rules file, beside `skills/` in the tool directory (only for that standard layout). */
function rulesPath(install: Install): string | undefined {
  if (install.kind.name !== "codex" || !install.path.endsWith(`/skills/${SKILL_NAME}`)) {
    return undefined;
  }
  return `${parent(parent(install.path))}/rules/${SKILL_NAME}.rules`;
}

/** Every file an install writes, with its content. */
function ownedFiles(install: Install, deps: SkillDeps): [string, string][] {
  const main = mainFile(install, deps.manual(), deps.version);
  if (install.kind.layout === "file") return [[install.path, main]];
  const files: [string, string][] = [
    [`${install.path}/SKILL.md`, main],
    [`${install.path}/.version`, deps.version],
    [`${install.path}/agents/openai.yaml`, openaiYaml()],
  ];
  const rules = rulesPath(install);
  if (rules) files.push([rules, CODEX_RULES]);
  return files;
}

/** The version an install on disk carries; undefined when nothing (of ours) is there. */
export function installedVersion(install: Install): string | undefined {
  const stamped = stampedVersion(textOrUndefined(markdownPath(install)) ?? "");
  if (install.kind.layout === "file") return stamped;
  // The reference CLI writes .version and no stamp.
  return textOrUndefined(`${install.path}/.version`)?.trim() || stamped;
}

function present(install: Install): boolean {
  return isFile(markdownPath(install));
}

/** Whether what is at the install's path was written by an install (ours to rewrite or delete). */
function ours(install: Install): boolean {
  return stampedVersion(textOrUndefined(markdownPath(install)) ?? "") !== undefined ||
    (install.kind.layout === "directory" && isFile(`${install.path}/.version`));
}

function notOurs(install: Install, deps: SkillDeps): ContreeError {
  return new ContreeError(
    `${
      displayPath(markdownPath(install), deps.places.home)
    } was not written by \`contree skill install\`; left alone`,
  );
}

async function writeInstall(install: Install, deps: SkillDeps): Promise<void> {
  for (const [path, text] of ownedFiles(install, deps)) {
    await Deno.mkdir(parent(path), { recursive: true });
    await writeFileAtomic(path, text);
  }
}

/** Removes `path` when it is an empty directory. */
function removeIfEmpty(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

async function deleteInstall(install: Install, deps: SkillDeps): Promise<void> {
  if (!ours(install)) throw notOurs(install, deps);
  for (const [path, text] of ownedFiles(install, deps)) {
    // The shared rules file goes only while it still says what an install wrote.
    if (path === rulesPath(install) && textOrUndefined(path) !== text) continue;
    await Deno.remove(path).catch(() => {});
  }
  const directories = install.kind.layout === "directory"
    ? [`${install.path}/agents`, install.path]
    : [];
  for (const dir of directories) removeIfEmpty(dir);
  // Empty layout directories above (`skills/`, `agents/`, `rules/`), never the tool's home.
  const rules = rulesPath(install);
  for (const path of [install.path, ...(rules ? [rules] : [])]) {
    const above = parent(path);
    if (["skills", "agents", "rules"].includes(basename(above))) removeIfEmpty(above);
  }
}

function remembered(registry: SkillRegistry): Install[] {
  return registry.list().map((row) => ({
    kind: kindNamed(row.kind) ?? guessKind(row.path),
    path: row.path,
  }));
}

function targets(specs: string[], places: Places): Install[] {
  const installs = specs.map((spec) => parseSpec(spec, places));
  return installs.filter((install, i) =>
    installs.findIndex((other) => other.path === install.path) === i
  );
}

async function emit(deps: SkillDeps, action: string, install: Install): Promise<void> {
  const out = deps.output(ACTION_COLUMNS);
  await out.write({
    action,
    name: SKILL_NAME,
    kind: install.kind.name,
    path: displayPath(install.path, deps.places.home),
  });
}

export async function skillList(deps: SkillDeps): Promise<number> {
  const registry = await deps.registry();
  const installs = remembered(registry);
  if (installs.length === 0) {
    await deps.ctx.stderr.write("No skill installs remembered; see `contree skill install`.\n");
    return 0;
  }
  const out = deps.output({ head: ["name", "path", "kind", "version", "latest"] });
  for (const install of installs) {
    const exists = present(install);
    const version = exists ? installedVersion(install) : undefined;
    await out.write({
      name: SKILL_NAME,
      path: displayPath(install.path, deps.places.home),
      kind: install.kind.name,
      version: version ?? "?",
      latest: deps.version,
      outdated: version !== deps.version,
      exists,
    });
    // Deleted by hand: shown once more, then forgotten.
    if (!exists) registry.forget(install.path);
  }
  await out.flush();
  return 0;
}

export async function skillInstall(
  deps: SkillDeps,
  specs: string[],
  options: { force: boolean },
): Promise<number> {
  const installs = specs.length
    ? targets(specs, deps.places)
    : detectedInstalls(deps.places, isDirectory);
  if (installs.length === 0) {
    throw new ContreeError(
      "No agent tool homes detected (~/.claude, ~/.codex, ~/.config/opencode, " +
        "~/.config/agents, ~/.cline); pass SPEC explicitly, e.g. `contree skill install claude:`",
    );
  }
  const registry = await deps.registry();
  for (const install of installs) {
    const shown = displayPath(install.path, deps.places.home);
    if (!options.force && ownedFiles(install, deps).some(([path]) => isFile(path))) {
      deps.ctx.log.warning(
        `Already installed at ${shown}; use \`contree skill upgrade\` or --force`,
      );
      continue;
    }
    await writeInstall(install, deps);
    registry.remember(install.path, install.kind.name);
    deps.ctx.log.info(`Installed ${SKILL_NAME} (${install.kind.name}) at ${shown}`);
    await emit(deps, "install", install);
  }
  await deps.output(ACTION_COLUMNS).flush();
  return 0;
}

export async function skillRemove(
  deps: SkillDeps,
  specs: string[],
  options: { force: boolean },
): Promise<number> {
  const registry = await deps.registry();
  const installs = specs.length ? targets(specs, deps.places) : remembered(registry);
  if (installs.length === 0) throw new ContreeError("No remembered installs to remove");
  let failed = false;
  for (const install of installs) {
    const shown = displayPath(install.path, deps.places.home);
    if (!present(install)) {
      registry.forget(install.path);
      deps.ctx.log.error(`Not installed at ${shown}`);
      failed = true;
      continue;
    }
    const question = `Remove '${SKILL_NAME}' from ${shown}? [y/N] `;
    if (!options.force && !(await confirm(deps.ctx, question))) {
      await deps.ctx.stdout.write("Aborted.\n");
      failed = true;
      continue;
    }
    try {
      await deleteInstall(install, deps);
    } catch (error) {
      if (!(error instanceof ContreeError)) throw error;
      deps.ctx.log.error(error.message);
      failed = true;
      continue;
    }
    registry.forget(install.path);
    deps.ctx.log.info(`Removed ${SKILL_NAME} (${install.kind.name}) from ${shown}`);
    await emit(deps, "remove", install);
  }
  await deps.output(ACTION_COLUMNS).flush();
  if (failed) throw new Exit(1);
  return 0;
}

export async function skillUpgrade(deps: SkillDeps, specs: string[]): Promise<number> {
  const registry = await deps.registry();
  const installs = specs.length ? targets(specs, deps.places) : remembered(registry);
  if (installs.length === 0) {
    throw new ContreeError("No remembered installs; run `contree skill install` first");
  }
  let failed = false;
  for (const install of installs) {
    const shown = displayPath(install.path, deps.places.home);
    if (!present(install)) {
      deps.ctx.log.error(`Not installed at ${shown}; run \`contree skill install\` first`);
      failed = true;
      continue;
    }
    if (!ours(install)) {
      deps.ctx.log.error(notOurs(install, deps).message);
      failed = true;
      continue;
    }
    await writeInstall(install, deps);
    registry.remember(install.path, install.kind.name);
    deps.ctx.log.info(`Upgraded ${SKILL_NAME} (${install.kind.name}) at ${shown}`);
    await emit(deps, "upgrade", install);
  }
  await deps.output(ACTION_COLUMNS).flush();
  if (failed) throw new Exit(1);
  return 0;
}
