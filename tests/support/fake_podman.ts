// The one in-memory podman of the unit tests (task lifecycle and local server): a table of
// containers driven by the argv the lifecycle sends (run, start, stop, rm, wait, logs, inspect,
// ps, exec), every call recorded, and `override` to answer any other call or inject faults
// (return a result or throw for matching calls). `spawn` streams the same answers.

import type {
  PodmanProcess,
  PodmanResult,
  PodmanRunner,
  PodmanRunOptions,
  PodmanSpawnOptions,
} from "../../src/podman.ts";

export interface FakeContainer {
  name: string;
  image: string;
  command: string[];
  labels: Record<string, string>;
  state: string;
  exitCode: number;
  /** Lines the container wrote, in order. */
  logs: { stream: "stdout" | "stderr"; line: string }[];
  /** Binaries `exec` finds in the image. */
  binaries: Set<string>;
}

export interface RecordedCall {
  args: string[];
  /** A spawn's options are the run options it shares (stdin, signal). */
  options?: PodmanRunOptions;
  interactive?: boolean;
  spawned?: boolean;
}

type Override = (args: string[]) => PodmanResult | Error | undefined;

const ok = (stdout = ""): PodmanResult => ({ code: 0, stdout, stderr: "" });
const failed = (message: string): PodmanResult => ({
  code: 125,
  stdout: "",
  stderr: `Error: ${message}\n`,
});
const noSuchContainer = (name: string): PodmanResult => ({
  code: 125,
  stdout: "",
  stderr: `Error: no container with name or ID "${name}" found: no such container\n`,
});

/** Flags of `podman run` that take a value (the ones the lifecycle uses). */
const RUN_VALUE_FLAGS = new Set([
  "--name",
  "--hostname",
  "--label",
  "--annotation",
  "-v",
  "-w",
  "-e",
]);

export class FakePodman implements PodmanRunner {
  readonly calls: RecordedCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly #overrides: Override[] = [];
  /** What a created container does at once: keep running, or exit with a code. */
  onCreate: (container: FakeContainer) => void = () => {};
  /** Binaries new containers have for `exec`. */
  binaries: string[] = ["sh"];
  /** Interactive calls return this. */
  interactiveExitCode = 0;

  /** Calls whose argv matches are answered by `fn` (latest first) until it returns undefined. */
  override(fn: Override): this {
    this.#overrides.unshift(fn);
    return this;
  }

  /** The argv of every call whose first argument is `verb`. */
  argvOf(verb: string): string[][] {
    return this.calls.filter((c) => c.args[0] === verb).map((c) => c.args);
  }

  run(args: string[], options: PodmanRunOptions = {}): Promise<PodmanResult> {
    this.calls.push({ args: [...args], options });
    const answer = this.#answer(args);
    return answer instanceof Error ? Promise.reject(answer) : this.#deliver(answer, options);
  }

  /** The answer `run` would give, as streams; an injected error is thrown at once. */
  spawn(args: string[], options: PodmanSpawnOptions = {}): PodmanProcess {
    this.calls.push({ args: [...args], options, spawned: true });
    const answer = this.#answer(args);
    if (answer instanceof Error) throw answer;
    const text = (chunk: string) => new Blob([chunk]).stream();
    if (options.files) {
      const files = options.files;
      const written = Promise.all([
        Deno.writeTextFile(files.stdout, answer.stdout),
        Deno.writeTextFile(files.stderr, answer.stderr),
      ]);
      return {
        stdout: text(""),
        stderr: text(""),
        exitCode: written.then(() => answer.code),
        stop: () => {},
      };
    }
    return {
      stdout: text(answer.stdout),
      stderr: text(answer.stderr),
      exitCode: Promise.resolve(answer.code),
      stop: () => {},
    };
  }

  interactive(args: string[]): Promise<number> {
    this.calls.push({ args: [...args], interactive: true });
    return Promise.resolve(this.interactiveExitCode);
  }

  #answer(args: string[]): PodmanResult | Error {
    for (const fn of this.#overrides) {
      const answer = fn(args);
      if (answer) return answer;
    }
    return this.#simulate(args);
  }

  async #deliver(result: PodmanResult, options: PodmanRunOptions): Promise<PodmanResult> {
    if (typeof options.stdout === "object") {
      await Deno.writeTextFile(options.stdout.file, result.stdout + result.stderr);
      return { code: result.code, stdout: "", stderr: "" };
    }
    return result;
  }

  #simulate(args: string[]): PodmanResult {
    const [verb, ...rest] = args;
    const last = rest.at(-1) ?? "";
    switch (verb) {
      case "inspect": {
        const container = this.containers.get(last);
        if (!container) {
          return { code: 125, stdout: "", stderr: `Error: no such object: "${last}"\n` };
        }
        // The format names what is asked: {{.State.Status}}, or labels ({{index .Config.Labels "k"}}).
        const format = rest[rest.indexOf("-f") + 1] ?? "";
        if (!format.includes(".Config.Labels")) return ok(`${container.state}\n`);
        return ok(
          format.replace(
            /\{\{index \.Config\.Labels "([^"]+)"\}\}/g,
            (_, key) => container.labels[key] ?? "",
          ) +
            "\n",
        );
      }
      case "ps": {
        const filter = rest[rest.indexOf("--filter") + 1] ?? "";
        const [, key, value] = /^label=([^=]+)=(.*)$/.exec(filter) ?? [];
        const rows = [...this.containers.values()]
          .filter((c) => key === undefined || c.labels[key] === value)
          .map((c) => ({ Names: [c.name], State: c.state, Labels: c.labels }));
        return ok(JSON.stringify(rows));
      }
      case "run":
        return this.#create(rest);
      case "start": {
        const container = this.containers.get(last);
        if (!container) return noSuchContainer(last);
        container.state = "running";
        this.onCreate(container);
        return ok(`${last}\n`);
      }
      case "unpause": {
        const container = this.containers.get(last);
        if (!container) return noSuchContainer(last);
        if (container.state !== "paused") return failed(`"${last}" is not paused, can't unpause`);
        container.state = "running";
        return ok(`${last}\n`);
      }
      case "stop": {
        const container = this.containers.get(last);
        if (!container) return noSuchContainer(last);
        // podman 4.3's answer
        if (container.state === "paused") return failed("running or paused, refusing to clean up");
        if (container.state === "running" || container.state === "stopping") {
          container.state = "exited";
          container.exitCode = 0;
        }
        return ok(`${last}\n`);
      }
      case "rm": {
        this.containers.delete(last);
        return ok(`${last}\n`);
      }
      case "wait": {
        const container = this.containers.get(last);
        if (!container) return noSuchContainer(last);
        return ok(`${container.exitCode}\n`);
      }
      case "logs": {
        const container = this.containers.get(last);
        if (!container) return noSuchContainer(last);
        const stamp = rest.includes("--timestamps") ? "2026-06-08T20:00:00.000000001Z " : "";
        const stream = (s: "stdout" | "stderr") =>
          container.logs.filter((l) => l.stream === s).map((l) => `${stamp}${l.line}\n`).join("");
        return { code: 0, stdout: stream("stdout"), stderr: stream("stderr") };
      }
      case "exec": {
        const name = rest.find((a) => !a.startsWith("-")) ?? "";
        const container = this.containers.get(name);
        if (!container) return noSuchContainer(name);
        const binary = rest[rest.indexOf(name) + 1];
        return container.binaries.has(binary) ? ok(`${binary} 1.0\n`) : {
          code: 127,
          stdout: "",
          stderr: `Error: exec: "${binary}": executable file not found in $PATH\n`,
        };
      }
      default:
        return { code: 125, stdout: "", stderr: `Error: fake podman: unsupported ${verb}\n` };
    }
  }

  #create(rest: string[]): PodmanResult {
    let name = "";
    const labels: Record<string, string> = {};
    let i = 0;
    for (; i < rest.length; i++) {
      const flag = rest[i];
      if (flag === "-d") continue;
      if (!RUN_VALUE_FLAGS.has(flag)) break;
      const value = rest[++i];
      if (flag === "--name") name = value;
      if (flag === "--label") {
        const at = value.indexOf("=");
        labels[value.slice(0, at)] = value.slice(at + 1);
      }
    }
    if (this.containers.has(name)) {
      return {
        code: 125,
        stdout: "",
        stderr:
          `Error: creating container storage: the container name "${name}" is already in use\n`,
      };
    }
    const container: FakeContainer = {
      name,
      image: rest[i],
      command: rest.slice(i + 1),
      labels,
      state: "running",
      exitCode: 0,
      logs: [],
      binaries: new Set(this.binaries),
    };
    this.containers.set(name, container);
    this.onCreate(container);
    return ok(`${"f".repeat(64)}\n`);
  }
}
