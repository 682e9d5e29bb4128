// `contree server`: the local ConTree server on podman (start, stop, status).

import { InvalidArgumentError, Option } from "../deps.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_CPUS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PIDS,
  DEFAULT_PORT,
  DEFAULT_USERNS,
} from "../server/defaults.ts";
import { byteSize, nonNegativeInt, nonNegativeNumber, port, positiveInt } from "./parse.ts";
import type { RootCommand, Runner } from "./root.ts";

/** `START:SIZE` (host ids START … START+SIZE-1 become container ids 0 … SIZE-1) or `off`. */
function userNamespace(value: string): { hostStart: number; size: number } | "off" {
  if (value.trim() === "off") return "off";
  const match = /^\s*(\d+):(\d+)\s*$/.exec(value);
  const [hostStart, size] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(hostStart >= 1 && size >= 1 && hostStart + size <= 2 ** 32 - 1)) {
    throw new InvalidArgumentError(
      `expected START:SIZE (e.g. 1000000000:65536) or off, got '${value}'`,
    );
  }
  return { hostStart, size };
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
      new Option("--memory <size>", "memory of each sandbox, swap included (0 = no limit)")
        .argParser(byteSize)
        .default(DEFAULT_MEMORY_BYTES, `${DEFAULT_MEMORY_BYTES / 2 ** 30}g`),
    )
    .addOption(
      new Option("--cpus <n>", "CPUs each sandbox may use (0 = no limit)")
        .argParser(nonNegativeNumber)
        .default(DEFAULT_CPUS),
    )
    .addOption(
      new Option("--pids <n>", "processes and threads each sandbox may have (0 = no limit)")
        .argParser(nonNegativeInt)
        .default(DEFAULT_PIDS),
    )
    .addOption(
      new Option(
        "--userns <start:size>",
        "host ids mapped into the user namespace of disposable runs, or 'off'",
      )
        .argParser(userNamespace)
        .default(DEFAULT_USERNS, `${DEFAULT_USERNS.hostStart}:${DEFAULT_USERNS.size}`),
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
          limits: {
            memoryBytes: options.memory,
            cpus: options.cpus,
            pids: options.pids,
            userns: options.userns === "off" ? undefined : options.userns,
          },
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
