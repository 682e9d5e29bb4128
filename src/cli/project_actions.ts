// The bodies of `contree project …` (registered in project.ts, loaded on first use).

import { archiveRoot, metaDir, resolveTaskRoots, type TaskRoots } from "../tasks/paths.ts";
import { createProject, listProjects, loadProject, type ProjectConfig } from "../tasks/project.ts";
import type { App } from "./app.ts";

function rootsOf(app: App): TaskRoots {
  return resolveTaskRoots(app.ctx.env, app.ctx.home);
}

function projectRow(app: App, config: ProjectConfig): Record<string, unknown> {
  const roots = rootsOf(app);
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
  app: App,
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
  const config = await createProject(rootsOf(app), {
    name,
    image: options.image,
    description: options.description,
    tasksRoot: options.tasksRoot,
    nameCategories: options.nameCategories?.split(",").map((c) => c.trim()).filter(Boolean),
    shutdownTimeout: options.shutdownTimeout,
    command: options.command,
    shell: options.shell,
    force: options.force === true,
  }, app.ctx.home);
  if (app.globals.format === "default") {
    await app.ctx.stdout.write(`Created project ${config.name}: ${config.file}\n`);
  } else {
    await app.output().write(projectRow(app, config));
  }
  return 0;
}

export async function projectList(app: App): Promise<number> {
  const listings = await listProjects(rootsOf(app), app.ctx.home);
  if (listings.length === 0) {
    app.log.info("No projects found. Create one with: contree project new NAME --image IMAGE");
    return 0;
  }
  const human = app.globals.format === "default";
  for (const listing of listings) {
    if (human) {
      await app.ctx.stdout.write(
        listing.config
          ? `- ${listing.name}: ${listing.config.image}\n`
          : `- ${listing.name}: invalid (${listing.error})\n`,
      );
    } else {
      await app.output().write(
        listing.config
          ? { ...projectRow(app, listing.config), error: "" }
          : { name: listing.name, error: listing.error },
      );
    }
  }
  return 0;
}

export async function projectShow(app: App, name: string): Promise<number> {
  const config = await loadProject(rootsOf(app), name, app.ctx.home);
  const row = projectRow(app, config);
  if (app.globals.format !== "default") {
    await app.output().write(row);
    return 0;
  }
  const lines = Object.entries(row)
    .filter(([, value]) => value !== "")
    .map(([key, value]) => `${`${key}:`.padEnd(18)}${value}\n`);
  await app.ctx.stdout.write(lines.join(""));
  return 0;
}
