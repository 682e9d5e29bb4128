// A container's exit code the moment its process is gone, from the file conmon writes for it.
//
// `podman run` returns ~50 ms after the process exits: conmon starts `podman container
// cleanup` (a podman process of its own: unmount, `runc delete`), and `podman run` waits for
// that cleanup's lock before it reads the exit code. conmon has written the code by then, to
// `<tmp_dir>/exits/<container id>` (written aside, renamed into place). A disposable run is done
// when that file appears: its output is complete (the kernel ends every process of the
// container's PID namespace before its init's exit is reported) and nothing is committed.
//
// The file is podman's bookkeeping, not its interface, so this is only ever a shortcut: where
// the directory is missing, named differently (containers.conf `tmp_dir`) or the file is gone
// before it is read, the code never arrives and the caller waits for podman as before.

import { isDirectory } from "../files.ts";

/** One container watched for: its code once conmon has written it. */
export interface ContainerExit {
  /** Resolves with the exit code conmon recorded; never settles when it is not seen. */
  readonly code: Promise<number>;
  /** Stops watching for this container. */
  close(): void;
}

interface Watched {
  cidFile: string;
  id?: string;
  resolve(code: number): void;
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** Where conmon writes exit codes for this user's podman by default (libpod's `tmp_dir`). */
export function defaultExitDirectory(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.uid() === 0) return "/run/libpod/exits";
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  return runtime ? `${runtime}/libpod/tmp/exits` : undefined;
}

export class ContainerExits {
  readonly #watched = new Set<Watched>();
  #watcher?: Deno.FsWatcher;

  constructor(readonly directory: string) {}

  /**
   * Watches for the container whose id podman writes to `cidFile` (`podman run --cidfile`).
   * Call before starting podman, so that no exit goes unseen.
   */
  watch(cidFile: string): ContainerExit {
    let resolve!: (code: number) => void;
    const code = new Promise<number>((done) => resolve = done);
    const watched: Watched = { cidFile, resolve };
    if (this.#ensureWatching()) this.#watched.add(watched);
    return { code, close: () => this.#watched.delete(watched) };
  }

  /** Stops the directory watch (server shutdown). */
  close(): void {
    this.#watched.clear();
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Starts the one watch of the directory, where there is one; whether it runs. */
  #ensureWatching(): boolean {
    if (this.#watcher) return true;
    if (!isDirectory(this.directory)) return false;
    try {
      this.#watcher = Deno.watchFs(this.directory, { recursive: false });
    } catch {
      return false;
    }
    const watcher = this.#watcher;
    void (async () => {
      try {
        for await (const event of watcher) {
          for (const path of event.paths) this.#seen(path.slice(path.lastIndexOf("/") + 1));
        }
      } catch {
        // The watch ended (closed, or the directory went): runs wait for podman from here on.
      }
      if (this.#watcher === watcher) this.#watcher = undefined;
    })();
    return true;
  }

  /** A file of the directory changed: settles the container it names, if watched. */
  #seen(name: string): void {
    if (!CONTAINER_ID.test(name)) return; // conmon's temporary `<id>.XXXXXX`, or not conmon's
    for (const watched of this.#watched) {
      watched.id ??= readContainerId(watched.cidFile);
      if (watched.id !== name) continue;
      const code = readExitCode(`${this.directory}/${name}`);
      if (code === undefined) return;
      this.#watched.delete(watched);
      watched.resolve(code);
      return;
    }
  }
}

function readContainerId(cidFile: string): string | undefined {
  try {
    const id = Deno.readTextFileSync(cidFile).trim();
    return CONTAINER_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

function readExitCode(path: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(path).trim();
    return /^-?\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined; // already removed by podman's cleanup, or not written yet
  }
}
