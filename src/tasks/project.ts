// Projects: `<config root>/projects/<name>/project.yml`, validated strictly (unknown keys are
// refused) with one-line errors that name the file and the key.
//
//   project:
//     name: myproj              # required; equals the directory name; [a-z0-9][a-z0-9_-]*
//     image: localhost/img:tag  # required; the image every task container runs
//     description: …            # optional
//   tasks:
//     root: ~/tasks/myproj      # optional; task directories (relative → the project dir)
//     name_categories: [animals, food]   # optional; random-name word lists
//   run:
//     shutdown_timeout: 10      # optional; seconds `podman stop --time` waits (default 10)
//     command: make test        # optional; what `--mode run` runs (string → <shell> -c, or a list)
//     shell: /bin/sh            # optional; the shell for a string command (default /bin/sh)

import { loadYaml } from "../deps.ts";
import { ContreeError, UsageError } from "../errors.ts";
import { writeFileAtomic } from "../files.ts";
import { CATEGORY_NAMES } from "./naming.ts";
import {
  defaultTasksRoot,
  expandHome,
  projectDir,
  projectFile,
  projectsDir,
  type TaskRoots,
} from "./paths.ts";
import { MAX_TIMER_MS } from "../timer.ts";

/** Seconds; podman stop is waited for that long, plus a grace. */
const MAX_SHUTDOWN_TIMEOUT = Math.floor(MAX_TIMER_MS / 1000) - 60;

export interface ProjectConfig {
  name: string;
  image: string;
  description?: string;
  /** The project.yml this was read from. */
  file: string;
  /** Absolute: where task directories live. */
  tasksRoot: string;
  nameCategories?: string[];
  /** Seconds. */
  shutdownTimeout: number;
  /** What `--mode run` runs when `task run` gets no `--command`. */
  command?: string | string[];
  shell: string;
}

export const DEFAULT_SHUTDOWN_TIMEOUT = 10;
export const DEFAULT_SHELL = "/bin/sh";

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A project name usable in paths and container names, or a UsageError. */
export function validProjectName(name: string): string {
  if (!PROJECT_NAME.test(name) || name === "default") {
    throw new UsageError(
      `Invalid project name '${name}': use 1-63 lowercase letters, digits, '_' and '-', ` +
        "starting with a letter or digit (and not 'default')",
    );
  }
  return name;
}

const SCHEMA: Record<string, readonly string[]> = {
  project: ["name", "image", "description"],
  tasks: ["root", "name_categories"],
  run: ["shutdown_timeout", "command", "shell"],
};

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Validates a parsed project.yml; `dirName` is the directory it was found in. */
export function parseProjectConfig(
  document: unknown,
  options: { file: string; dirName: string; roots: TaskRoots; home?: string },
): ProjectConfig {
  const { file } = options;
  const fail = (message: string) => new ContreeError(`${file}: ${message}`);
  if (!isMapping(document)) throw fail("expected a mapping with a 'project' section");
  const sections: Record<string, Mapping> = {};
  for (const [key, value] of Object.entries(document)) {
    const allowed = SCHEMA[key];
    if (!allowed) {
      throw fail(`unknown key '${key}' (allowed: ${Object.keys(SCHEMA).join(", ")})`);
    }
    if (value === null || value === undefined) continue;
    if (!isMapping(value)) throw fail(`'${key}' must be a mapping`);
    for (const inner of Object.keys(value)) {
      if (!allowed.includes(inner)) {
        throw fail(`unknown key '${key}.${inner}' (allowed: ${allowed.join(", ")})`);
      }
    }
    sections[key] = value;
  }
  const project = sections.project ?? {};
  const tasks = sections.tasks ?? {};
  const run = sections.run ?? {};

  const optionalString = (section: Mapping, key: string, path: string): string | undefined => {
    const value = section[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      throw fail(`'${path}' must be a non-empty string`);
    }
    return value;
  };

  const name = optionalString(project, "name", "project.name") ?? options.dirName;
  if (!PROJECT_NAME.test(name) || name === "default") {
    throw fail(
      `'project.name' must match [a-z0-9][a-z0-9_-]* (at most 63 characters) and not be 'default'`,
    );
  }
  if (name !== options.dirName) {
    throw fail(`'project.name' is '${name}' but the directory is '${options.dirName}'`);
  }
  const image = optionalString(project, "image", "project.image");
  if (image === undefined) throw fail("'project.image' is required (the image tasks run)");
  if (/\s/.test(image)) throw fail("'project.image' must not contain whitespace");
  if (image.startsWith("-")) {
    throw fail("'project.image' must not start with '-' (podman would take it for an option)");
  }
  const description = optionalString(project, "description", "project.description");

  const root = optionalString(tasks, "root", "tasks.root");
  let tasksRoot = defaultTasksRoot(options.roots, name);
  if (root !== undefined) {
    const expanded = expandHome(root, options.home);
    tasksRoot = expanded.startsWith("/")
      ? expanded
      : `${file.slice(0, file.lastIndexOf("/"))}/${expanded}`;
  }

  let nameCategories: string[] | undefined;
  const categories = tasks.name_categories;
  if (categories !== undefined && categories !== null) {
    const list = typeof categories === "string"
      ? categories.split(",").map((c) => c.trim()).filter(Boolean)
      : categories;
    if (!Array.isArray(list) || list.some((c) => typeof c !== "string")) {
      throw fail("'tasks.name_categories' must be a string or a list of strings");
    }
    for (const category of list as string[]) {
      if (!CATEGORY_NAMES.includes(category)) {
        throw fail(
          `unknown name category '${category}' in 'tasks.name_categories' (known: ${
            CATEGORY_NAMES.join(", ")
          })`,
        );
      }
    }
    if (list.length > 0) nameCategories = list as string[];
  }

  let shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
  const timeout = run.shutdown_timeout;
  if (timeout !== undefined && timeout !== null) {
    // Beyond a timer's range (~24.8 days) a wait for it would end at once (src/timer.ts).
    if (
      typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 0 ||
      timeout > MAX_SHUTDOWN_TIMEOUT
    ) {
      throw fail(
        `'run.shutdown_timeout' must be a whole number of seconds from 0 to ${MAX_SHUTDOWN_TIMEOUT}`,
      );
    }
    shutdownTimeout = timeout;
  }

  let command: string | string[] | undefined;
  const rawCommand = run.command;
  if (rawCommand !== undefined && rawCommand !== null) {
    if (typeof rawCommand === "string" && rawCommand.trim() !== "") command = rawCommand;
    else if (
      Array.isArray(rawCommand) && rawCommand.length > 0 &&
      rawCommand.every((part) => typeof part === "string")
    ) {
      command = rawCommand as string[];
    } else {
      throw fail("'run.command' must be a non-empty string or a non-empty list of strings");
    }
  }
  const shell = optionalString(run, "shell", "run.shell") ?? DEFAULT_SHELL;

  return {
    name,
    image,
    description,
    file,
    tasksRoot,
    nameCategories,
    shutdownTimeout,
    command,
    shell,
  };
}

async function parseYamlFile(file: string, text: string): Promise<unknown> {
  try {
    return (await loadYaml()).parse(text);
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    throw new ContreeError(`${file}: not valid YAML: ${message}`);
  }
}

/** Loads and validates a project; a missing file says how to create one. */
export async function loadProject(
  roots: TaskRoots,
  name: string,
  home?: string,
): Promise<ProjectConfig> {
  validProjectName(name);
  const file = projectFile(roots, name);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ContreeError(
        `Project '${name}' not found (no ${file}). Create it with: contree project new ${name} --image IMAGE`,
      );
    }
    throw new ContreeError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  return parseProjectConfig(await parseYamlFile(file, text), {
    file,
    dirName: name,
    roots,
    home,
  });
}

export interface ProjectListing {
  name: string;
  config?: ProjectConfig;
  error?: string;
}

/** Every directory under `projects/` that holds a project.yml, by name. */
export async function listProjects(roots: TaskRoots, home?: string): Promise<ProjectListing[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(projectsDir(roots))) {
      if (entry.isDirectory) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new ContreeError(`Cannot read ${projectsDir(roots)}: ${(error as Error).message}`);
  }
  const listings: ProjectListing[] = [];
  for (const name of names.sort()) {
    try {
      await Deno.stat(`${projectsDir(roots)}/${name}/project.yml`);
    } catch {
      continue;
    }
    try {
      listings.push({ name, config: await loadProject(roots, name, home) });
    } catch (error) {
      listings.push({ name, error: (error as Error).message });
    }
  }
  return listings;
}

export interface NewProjectOptions {
  name: string;
  image: string;
  description?: string;
  tasksRoot?: string;
  nameCategories?: string[];
  shutdownTimeout?: number;
  command?: string;
  shell?: string;
  /** Replace an existing project.yml. */
  force?: boolean;
}

/** Writes project.yml for a new project (validated exactly as a loaded one) and returns it. */
export async function createProject(
  roots: TaskRoots,
  options: NewProjectOptions,
  home?: string,
): Promise<ProjectConfig> {
  const name = validProjectName(options.name);
  const file = projectFile(roots, name);
  const document: Mapping = { project: { name, image: options.image } };
  if (options.description) (document.project as Mapping).description = options.description;
  const tasks: Mapping = {};
  if (options.tasksRoot) tasks.root = options.tasksRoot;
  if (options.nameCategories?.length) tasks.name_categories = options.nameCategories;
  if (Object.keys(tasks).length > 0) document.tasks = tasks;
  document.run = {
    shutdown_timeout: options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT,
    ...(options.command ? { command: options.command } : {}),
    ...(options.shell ? { shell: options.shell } : {}),
  };
  const config = parseProjectConfig(document, { file, dirName: name, roots, home });
  if (!options.force) {
    try {
      await Deno.lstat(file);
      throw new ContreeError(
        `Project '${name}' already exists: ${file} (use --force to replace it)`,
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  await Deno.mkdir(projectDir(roots, name), { recursive: true });
  await writeFileAtomic(file, (await loadYaml()).stringify(document));
  return config;
}
