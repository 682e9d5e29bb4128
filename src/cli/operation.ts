// The operation namespace: `operation` (`op`) list|show|wait|cancel|events, and the top-level
// shortcuts `ps` (= op list), `show` (= op show), `kill` (= op cancel).

import { Command, Option } from "../deps.ts";
import {
  cancelOperations,
  listOperations,
  printOperationEvents,
  showOperations,
  STATUS_LETTERS,
  waitOperations,
} from "../operations/namespace.ts";
import { intAtLeast } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";
import { namespaceDeps, timeFilter } from "./wiring.ts";

const STATUS_CHOICES = Object.entries(STATUS_LETTERS).flat();
const REF_HELP =
  "operation UUIDs or session-history references (HEAD, HEAD~N, @, @N, @-N, @+N, :N, bare N)";

function listCommand(name: string, run: Runner) {
  return new Command(name)
    .description("list operations (default: EXECUTING only)")
    .option("-q, --quiet", "only print UUIDs, one per line")
    .option("-a, --all", "all operations (default: EXECUTING only)")
    .addOption(
      new Option("--status <status>", "filter by status (letters expand)").choices(STATUS_CHOICES),
    )
    .addOption(
      new Option("-k, --kind <kind>", "filter by kind").choices(["image_import", "instance"]),
    )
    .option("--since <when>", "only after: an ISO date/time or a relative interval (15m, 2h, 3d)")
    .option("--until <when>", "only before: an ISO date/time or a relative interval")
    .option("-M, --show-max <n>", "show at most N operations", intAtLeast(1), 1000)
    .action((flags) =>
      run((app) =>
        listOperations(namespaceDeps(app), {
          quiet: flags.quiet === true,
          all: flags.all === true,
          status: flags.status,
          kind: flags.kind,
          since: timeFilter(app, flags.since),
          until: timeFilter(app, flags.until, "--until"),
          showMax: flags.showMax,
        })
      )
    );
}

function showCommand(name: string, run: Runner) {
  return new Command(name)
    .description("show one or more operation results")
    .argument("<refs...>", REF_HELP)
    .option("--raw", "print each operation's full server payload as JSONL, verbatim")
    .action((refs, flags) =>
      run((app) => showOperations(namespaceDeps(app), refs, flags.raw === true))
    );
}

function cancelCommand(name: string, run: Runner) {
  return new Command(name)
    .description("cancel one or more operations (or --all active ones)")
    .argument("[refs...]", REF_HELP)
    .option("-a, --all", "cancel every active operation")
    .action((refs, flags) =>
      run((app) => cancelOperations(namespaceDeps(app), refs, flags.all === true))
    );
}

function waitCommand(name: string, run: Runner) {
  return new Command(name)
    .description("wait until operations reach a terminal status (all at once)")
    .argument("[refs...]", REF_HELP)
    .option("-a, --all", "wait for every active operation")
    .option("-t, --timeout <seconds>", "give up after this long (exit 1)", intAtLeast(1), 60)
    .action((refs, flags) =>
      run((app) =>
        waitOperations(namespaceDeps(app), refs, flags.all === true, {
          timeoutSeconds: flags.timeout,
        })
      )
    );
}

function eventsCommand(name: string, run: Runner) {
  return new Command(name)
    .description("print each operation's whole event log, one row per event")
    .argument("<refs...>", REF_HELP)
    .action((refs) => run((app) => printOperationEvents(namespaceDeps(app), refs)));
}

export function registerOperations(program: RootCommand, run: Runner): void {
  program
    .command("operation")
    .alias("op")
    .description("manage operations: list, show, wait, cancel, events")
    .addCommand(listCommand("list", run).alias("ls"))
    .addCommand(showCommand("show", run).alias("sh"))
    .addCommand(waitCommand("wait", run).alias("w"))
    .addCommand(cancelCommand("cancel", run).aliases(["kill", "k"]))
    .addCommand(eventsCommand("events", run).alias("ev"));
  program.addCommand(listCommand("ps", run));
  program.addCommand(showCommand("show", run));
  program.addCommand(cancelCommand("kill", run));
}
