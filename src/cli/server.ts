// `contree server`: the local ConTree server on podman (start, stop, status).

import { InvalidArgumentError, Option } from "../deps.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_PORT,
} from "../server/defaults.ts";
import { nonNegativeInt, positiveInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";

/** A TCP port: 0–65535 (0 = any free port). */
function port(value: string): number {
  const parsed = nonNegativeInt(value);
  if (parsed > 65535) {
    throw new InvalidArgumentError(`expected a port (0 to 65535), got '${value}'`);
  }
  return parsed;
}

/** The server code is loaded only by `contree server …` (keeps other commands' start-up fast). */
const control = () => import("./server_control.ts");

const HOME_HELP = "server home (default: $CONTREE_SERVER_HOME, else $CONTREE_HOME/server)";

export function registerServer(program: RootCommand, run: Runner): void {
  const server = program
    .command("server")
    .description("the local ConTree server on podman: the ConTree API on 127.0.0.1, offline");

  server
    .command("start")
    .description(
      "start the server (foreground; -d to detach) and register the 'local' profile",
    )
    .addOption(
      new Option("--port <port>", "port on 127.0.0.1 (0 = any free port)")
        .argParser(port)
        .default(DEFAULT_PORT),
    )
    .option("--home <dir>", HOME_HELP)
    .option("-d, --detach", "run in the background; return once the server answers")
    .addOption(
      new Option("--concurrency <n>", "operations running at once (the rest wait in a queue)")
        .argParser(positiveInt)
        .default(DEFAULT_CONCURRENCY),
    )
    .addOption(
      new Option("--keepalive <seconds>", "keepalive comment interval of idle event streams")
        .argParser(positiveInt)
        .default(DEFAULT_KEEPALIVE_MS / 1000),
    )
    .addOption(
      new Option(
        "--max-output <bytes>",
        "largest truncate_output_at a run may ask for, per stream (larger requests are clamped)",
      )
        .argParser(positiveInt)
        .default(DEFAULT_MAX_OUTPUT),
    )
    .addOption(new Option("--log-file <path>").hideHelp())
    .action((options) =>
      run(async (app) =>
        (await control()).serverStart(app, {
          home: options.home,
          port: options.port,
          detach: options.detach === true,
          concurrency: options.concurrency,
          keepaliveSeconds: options.keepalive,
          maxOutput: options.maxOutput,
          logFile: options.logFile,
        })
      )
    );

  server
    .command("stop")
    .description("stop the server started for this home (SIGTERM, then wait)")
    .option("--home <dir>", HOME_HELP)
    .action((options) =>
      run(async (app) => (await control()).serverStop(app, { home: options.home }))
    );

  server
    .command("status")
    .description("show whether the server runs, where, and its operation counts (exit 1: stopped)")
    .option("--home <dir>", HOME_HELP)
    .action((options) =>
      run(async (app) => (await control()).serverStatus(app, { home: options.home }))
    );
}
