// The bodies of `contree project …` (registered in src/cli/project.ts, loaded on first use).

import type { Context } from "../context.ts";
import type { FormatName, Formatter } from "../output/formatter.ts";
import { archiveRoot, metaDir, resolveTaskRoots, type TaskRoots } from "./paths.ts";
import { createProject, listProjects, loadProject, type ProjectConfig } from "./project.ts";

/** What the project commands need from the invocation (built in src/cli/wiring.ts). */
export interface ProjectCommandDeps {
  /** stdio, environment, home and logger. */
  ctx: Context;
  format: FormatName;
  output(): Formatter;
}

function rootsOf(deps: ProjectCommandDeps): TaskRoots {
  return resolveTaskRoots(deps.ctx.env, deps.ctx.home, deps.ctx.cwd);
}

function projectRow(deps: ProjectCommandDeps, config: ProjectConfig): Record<string, unknown> {
  const roots = rootsOf(deps);
  return {
    name: config.name,
    image: config.image,
    description: config.description ?? "",
    file: config.file,
    tasks_root: config.tasksRoot,
    meta_dir: metaDir(roots, config.name),
    archive_dir: archiveRoot(roots, config.name),
    shutdown_timeout: config.shutdownTimeout,
    command: config.command === undefined
      ? ""
      : typeof config.command === "string"
      ? config.command
      : JSON.stringify(config.command),
    shell: config.shell,
    name_categories: config.nameCategories?.join(",") ?? "",
  };
}

export async function projectNew(
  deps: ProjectCommandDeps,
  name: string,
  options: {
    image: string;
    description?: string;
    tasksRoot?: string;
    nameCategories?: string;
    shutdownTimeout?: number;
    command?: string;
    shell?: string;
    force?: boolean;
  },
): Promise<number> {
  const config = await createProject(rootsOf(deps), {
    name,
    image: options.image,
    description: options.description,
    tasksRoot: options.tasksRoot,
    nameCategories: options.nameCategories?.split(",").map((c) => c.trim()).filter(Boolean),
    shutdownTimeout: options.shutdownTimeout,
    command: options.command,
    shell: options.shell,
    force: options.force === true,
  }, deps.ctx.home);
  if (deps.format === "default") {
    await deps.ctx.stdout.write(`Created project ${config.name}: ${config.file}\n`);
  } else {
    await deps.output().write(projectRow(deps, config));
  }
  return 0;
}

export async function projectList(deps: ProjectCommandDeps): Promise<number> {
  const listings = await listProjects(rootsOf(deps), deps.ctx.home);
  if (listings.length === 0) {
    deps.ctx.log.info("No projects found. Create one with: contree project new NAME --image IMAGE");
    return 0;
  }
  const human = deps.format === "default";
  for (const listing of listings) {
    if (human) {
      await deps.ctx.stdout.write(
        listing.config
          ? `- ${listing.name}: ${listing.config.image}\n`
          : `- ${listing.name}: invalid (${listing.error})\n`,
      );
    } else {
      await deps.output().write(
        listing.config
          ? { ...projectRow(deps, listing.config), error: "" }
          : { name: listing.name, error: listing.error },
      );
    }
  }
  return 0;
}

export async function projectShow(deps: ProjectCommandDeps, name: string): Promise<number> {
  const config = await loadProject(rootsOf(deps), name, deps.ctx.home);
  const row = projectRow(deps, config);
  if (deps.format !== "default") {
    await deps.output().write(row);
    return 0;
  }
  const lines = Object.entries(row)
    .filter(([, value]) => value !== "")
    .map(([key, value]) => `${`${key}:`.padEnd(18)}${value}\n`);
  await deps.ctx.stdout.write(lines.join(""));
  return 0;
}
