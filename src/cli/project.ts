// `contree project`: the projects task containers belong to (project.yml under the config root).
// The command bodies live in src/tasks/project_commands.ts and are loaded when a project command
// runs.

import type { ProjectCommandDeps } from "../tasks/project_commands.ts";
import { nonNegativeInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { projectCommandDeps } from "./wiring.ts";

type Commands = typeof import("../tasks/project_commands.ts");

export function registerProject(program: RootCommand, run: Runner): void {
  /** Runs a command body with its deps; the bodies are loaded on first use. */
  const runProject = (body: (commands: Commands, deps: ProjectCommandDeps) => Promise<number>) =>
    run(async (app) => body(await import("../tasks/project_commands.ts"), projectCommandDeps(app)));

  const project = program
    .command("project")
    .description("projects for task containers (project.yml under $CONTREE_HOME/projects)");

  project
    .command("new")
    .alias("init")
    .description("create a project (writes <config root>/projects/NAME/project.yml)")
    .argument("<name>", "project name: lowercase letters, digits, '_' and '-'")
    .requiredOption("--image <image>", "container image the project's tasks run")
    .option("--description <text>", "free text")
    .option("--tasks-root <dir>", "where task directories live (default: under the state root)")
    .option("--name-categories <list>", "comma-separated word categories for random task names")
    .option(
      "--shutdown-timeout <seconds>",
      "seconds `task stop` gives a container before SIGKILL (default 10)",
      nonNegativeInt,
    )
    .option("--command <command>", "what `task run --mode run` runs (a shell command)")
    .option("--shell <path>", "shell for string commands and logins (default /bin/sh)")
    .option("--force", "replace an existing project.yml")
    .action((name, options) =>
      runProject((commands, deps) => commands.projectNew(deps, name, options))
    );

  project
    .command("list")
    .alias("ls")
    .description("list projects")
    .action(() => runProject((commands, deps) => commands.projectList(deps)));

  project
    .command("show")
    .description("show a project's settings and paths")
    .argument("<name>", "project name")
    .action((name) => runProject((commands, deps) => commands.projectShow(deps, name)));
}
