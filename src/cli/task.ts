// `contree task …`: the command tree. The command bodies live in src/tasks/commands.ts and are
// loaded when a task command runs, so other commands do not pay for the task layer at startup.

import { Option } from "../deps.ts";
import type { TaskCommandDeps } from "../tasks/commands.ts";
import { DEFAULT_WAIT_TIMEOUT_SECONDS } from "../tasks/podman.ts";
import { MODES, STATUSES } from "../tasks/state.ts";
import { nonNegativeInt, positiveInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { taskCommandDeps } from "./wiring.ts";

type Commands = typeof import("../tasks/commands.ts");

export function registerTask(program: RootCommand, run: Runner): void {
  /** Runs a command body with its deps; the bodies are loaded on first use. */
  const runTask = (body: (commands: Commands, deps: TaskCommandDeps) => Promise<number>) =>
    run(async (app) => body(await import("../tasks/commands.ts"), await taskCommandDeps(app)));

  const task = program
    .command("task")
    .description("long-lived podman task containers with persistent workspaces");
  const targetHelp = "project name, or <project>/<task>";
  const taskHelp = "task ID or unique prefix";

  task
    .command("new")
    .description("create a task (workspace and metadata; no container yet)")
    .argument("<project>", "project name")
    .option("--name <name>", "task name (default: a random adjective-noun)")
    .action((project, options) =>
      runTask((commands, deps) => commands.cmdNew(deps, project, options))
    );

  task
    .command("run")
    .description("start a task's container (a new task when none is given)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .addOption(
      new Option(
        "--mode <mode>",
        "cli: idle container to log into; run: run the project's command " +
          "(default: the task's recorded mode, else cli)",
      ).choices(MODES),
    )
    .option("--name <name>", "name of the new task")
    .option("--command <command>", "--mode run: shell command instead of the project's run.command")
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdRun(deps, [project, taskArg], options))
    );

  task
    .command("list")
    .alias("ls")
    .description("list a project's tasks with their live status")
    .argument("<project>", "project name")
    .addOption(new Option("--status <status>", "only tasks with this status").choices(STATUSES))
    .addOption(new Option("--mode <mode>", "only tasks run in this mode").choices(MODES))
    .option("--no-emoji", "plain-text status labels")
    .action((project, options) =>
      runTask((commands, deps) => commands.cmdList(deps, project, options))
    );

  task
    .command("status")
    .description("show a task's live status")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("--no-emoji", "plain-text status labels")
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdStatus(deps, [project, taskArg], options))
    );

  task
    .command("rename")
    .description("rename a task")
    .argument("<project>", targetHelp)
    .argument("[task]", `${taskHelp} (or the new name with <project>/<task>)`)
    .argument("[name]", "new name")
    .action((project, taskArg, name) =>
      runTask((commands, deps) => commands.cmdRename(deps, [project, taskArg, name]))
    );

  task
    .command("stop")
    .description("stop a task's container (kept for `task run` to start again)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option(
      "--timeout <seconds>",
      "seconds before SIGKILL (default: the project's run.shutdown_timeout)",
      nonNegativeInt,
    )
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdStop(deps, [project, taskArg], options))
    );

  task
    .command("login")
    .description("open a shell in a running task (tmux session 'main' when the image has tmux)")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("--print", "print the podman command instead of running it")
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdLogin(deps, [project, taskArg], options))
    );

  task
    .command("logs")
    .description("capture the container's logs to logs/container.log and print them")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option("-f, --follow", "keep printing new output")
    .option("--tail <lines>", "only the last N lines", nonNegativeInt)
    .option("-t, --timestamps", "keep podman's timestamps")
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdLogs(deps, [project, taskArg], options))
    );

  task
    .command("wait")
    .description("wait for a task's container to exit; record and exit with its code")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .option(
      "--timeout <seconds>",
      "give up after N seconds (exit 1, nothing recorded)",
      positiveInt,
      DEFAULT_WAIT_TIMEOUT_SECONDS,
    )
    .action((project, taskArg, options) =>
      runTask((commands, deps) => commands.cmdWait(deps, [project, taskArg], options))
    );

  task
    .command("delete")
    .aliases(["rm"])
    .description("archive a task's metadata and logs, remove its containers, workspace, metadata")
    .argument("<project>", targetHelp)
    .argument("[task]", taskHelp)
    .action((project, taskArg) =>
      runTask((commands, deps) => commands.cmdDelete(deps, [project, taskArg]))
    );

  const archive = task.command("archive").description("what deleted tasks left behind");
  archive
    .command("list")
    .alias("ls")
    .description("list archived tasks, newest first")
    .argument("<project>", "project name")
    .action((project) => runTask((commands, deps) => commands.cmdArchiveList(deps, project)));
  archive
    .command("logs")
    .description("print the logs of the newest archive whose name or task ID starts with PREFIX")
    .argument("<project>", "project name")
    .argument("<prefix>", "archive timestamp or task ID prefix")
    .action((project, prefix) =>
      runTask((commands, deps) => commands.cmdArchiveLogs(deps, project, prefix))
    );
}
