// What commander takes from Node, on Deno's own APIs (this file is ours, not commander's).
//
// commander imports node:events, node:child_process, node:path, node:fs, node:process and
// node:util at the top of its command module. On Deno the first of those starts the Node
// compatibility layer, ~20 ms on every invocation (docs/BENCHMARKS.md, "Fourteenth pass") — more
// than all of commander's own work. contree uses none of what they serve: executable subcommands,
// its default output, exit and argv (`src/cli/command_line.ts` passes its own). So the vendored
// copy (scripts/vendor.ts) imports them from here instead: an event emitter, Node's
// escape-sequence pattern, and the process facts commander reads, each backed by `Deno`.

type Listener = (...args: unknown[]) => void;

/** The part of Node's EventEmitter that commander and contree use. */
export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string | symbol, listener: Listener): this {
    const once: Listener = (...args) => {
      this.off(event, once);
      listener.apply(this, args);
    };
    return this.on(event, once);
  }

  off(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event) ?? [];
    const at = list.lastIndexOf(listener);
    if (at >= 0) this.#listeners.set(event, list.toSpliced(at, 1));
    return this;
  }

  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event) ?? [];
    for (const listener of list) listener.apply(this, args);
    return list.length > 0;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  listeners(event: string | symbol): Listener[] {
    return [...(this.#listeners.get(event) ?? [])];
  }
}

// Node's own pattern for stripVTControlCharacters (lib/internal/util/inspect.js, MIT).
const ANSI_PATTERN = new RegExp(
  "[\\u001B\\u009B][[\\]()#;?]*" +
    "(?:(?:(?:(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]+)*" +
    "|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/\\#&.:=?%@~_]*)*)?" +
    "(?:\\u0007|\\u001B\\u005C|\\u009C))" +
    "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-nq-uy=><~]))",
  "g",
);

/** node:util's stripVTControlCharacters: the text without terminal escape sequences. */
export function stripVTControlCharacters(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

function unsupported(what: string): never {
  throw new Error(`${what} is not available in contree's copy of commander`);
}

/** Executable subcommands (`.command(name, description)`) are the only use; contree has none. */
export const childProcess = {
  spawn: (): never => unsupported("an executable subcommand"),
};

/** node:path as commander calls it: a script's name (POSIX), executable subcommands (none). */
export const path = {
  basename(file: string, extension = ""): string {
    const base = file.replace(/\/+$/, "").split("/").pop() ?? "";
    return extension && base.endsWith(extension) && base !== extension
      ? base.slice(0, -extension.length)
      : base;
  },
  extname(file: string): string {
    const base = path.basename(file);
    const dot = base.lastIndexOf(".");
    return dot > 0 ? base.slice(dot) : "";
  },
  dirname: (_file: string): never => unsupported("an executable subcommand"),
  resolve: (..._parts: string[]): never => unsupported("an executable subcommand"),
};

export const fs = {
  existsSync: (_file: string): never => unsupported("an executable subcommand"),
  realpathSync: (_file: string): never => unsupported("an executable subcommand"),
};

/** Where commander's default output goes (contree passes its own: `configureOutput`). */
function stream(writer: { writeSync(bytes: Uint8Array): number; isTerminal(): boolean }) {
  return {
    write(text: string): boolean {
      const bytes = new TextEncoder().encode(text);
      for (let done = 0; done < bytes.length;) done += writer.writeSync(bytes.subarray(done));
      return true;
    },
    get isTTY(): boolean {
      return writer.isTerminal();
    },
    get columns(): number | undefined {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return undefined;
      }
    },
    hasColors: (): boolean => writer.isTerminal(),
  };
}

/** The process facts commander reads, from `Deno`. */
export const process = {
  get argv(): string[] {
    return [Deno.execPath(), Deno.mainModule, ...Deno.args];
  },
  execArgv: [] as string[],
  get execPath(): string {
    return Deno.execPath();
  },
  versions: {} as Record<string, string>,
  get platform(): string {
    return Deno.build.os === "windows" ? "win32" : Deno.build.os;
  },
  env: new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => typeof name === "string" ? Deno.env.get(name) : undefined,
    has: (_target, name) => typeof name === "string" && Deno.env.get(name) !== undefined,
  }),
  stdout: stream(Deno.stdout),
  stderr: stream(Deno.stderr),
  get exitCode(): number {
    return Deno.exitCode;
  },
  set exitCode(code: number) {
    Deno.exitCode = code;
  },
  // contree passes exitOverride, so commander never exits on its own; main.ts is the one exit.
  exit: (): never => unsupported("exiting from the parser"),
  on: (): never => unsupported("an executable subcommand"),
};
