// Subprocesses inside a running instance (API spec §3.6): `podman exec` in the operation's
// container. Each gets a spid (2, 3, … per operation; 1 is the main process) and writes its
// `spawn`, `stdin`, `stdout`/`stderr`, `truncated` and `exit` events into the operation's log
// under that spid. The folded result (`GET …/subprocesses/{spid}`) is read back from the log, so
// it is the same while the process runs, after it ended and after a restart.
//
// Signals: podman exec does not forward signals to the process, and the API gives no pid of its
// own, so the process is found from the host: `podman top` lists the container's processes with
// their host pids, and the one whose environment carries `CONTREE_SPID=<spid>` (set by the
// server; its children inherit it, so the topmost one) is signalled with kill(2).

import type { InstanceResult, OperationEvent, StreamRepr } from "../api/models.ts";
import { decodeStreamRepr, encodeStreamRepr } from "../api/stream_repr.ts";
import { concatBytes } from "../bytes.ts";
import type { Logger } from "../log.ts";
import { type PodmanProcess, type PodmanRunner, runChecked } from "../podman.ts";
import { badRequest, HttpError, notFound } from "./errors.ts";
import type { EventLog } from "./events.ts";
import {
  envFlags,
  exitResources,
  exitStatus,
  sandboxContainerName,
  spawnEventData,
} from "./executor.ts";
import { commandLine, type InstanceSpec, type ProcessSpec, setVariables } from "./spawn.ts";
import type { OperationRow, Store } from "./store.ts";

/** The variable that marks a subprocess (and its children) inside the container. */
export const SPID_VARIABLE = "CONTREE_SPID";
/** How long subprocesses get to end after their instance's main process exited. */
const END_GRACE_MS = 10_000;
const MAIN_SPID = 1;
/** podman exec's exit code when the container went away under it. */
const PODMAN_LOST_CONTAINER = 255;

/** Linux signal numbers by name (without the SIG prefix). */
const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  PWR: 30,
  SYS: 31,
};

/** `?signal=`: a name (`TERM`, `SIGTERM`, any case) or a number; KILL when absent. */
export function parseSignal(value: string | null): { name: string; number: number } {
  const text = (value ?? "").trim().toUpperCase().replace(/^SIG/, "");
  if (text === "") return { name: "KILL", number: SIGNALS.KILL };
  const number = /^\d+$/.test(text) ? Number(text) : SIGNALS[text];
  const name = Object.keys(SIGNALS).find((key) => SIGNALS[key] === number);
  if (!name) throw badRequest(`unknown signal: ${value} (e.g. TERM, KILL, INT, HUP, 15)`);
  return { name, number };
}

/** The InstanceResult of one process, folded from its events (API spec §3.5). */
export function foldProcess(events: readonly OperationEvent[]): InstanceResult | undefined {
  const spawn = events.find((event) => event.type === "spawn");
  if (!spawn) return undefined;
  const exit = events.find((event) => event.type === "exit")?.data;
  const stream = (name: "stdout" | "stderr"): StreamRepr => ({
    ...encodeStreamRepr(
      concatBytes(events.filter((e) => e.type === name).map((e) => decodeStreamRepr(e.data))),
    ),
    truncated: events.some((e) => e.type === "truncated" && e.data.stream === name),
  });
  return {
    state: {
      exit_code: exit ? exit.code as number : -1,
      signal: exit ? exit.signal as number : -1,
      pid: (exit?.pid ?? spawn.data.pid) as number,
      timed_out: exit?.timed_out === true,
      core_dump: exit?.core_dump === true,
      stopped: false,
      continued: false,
    },
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    resources: exit ? { elapsed_time: (exit.duration_ms as number) / 1000 } : {},
  };
}

interface Session {
  process: PodmanProcess;
  /** Open stdin (created with `close: false`). */
  stdin?: WritableStreamDefaultWriter<Uint8Array>;
  exited: boolean;
  done: Promise<void>;
}

interface Instance {
  nextSpid: number;
  sessions: Map<number, Session>;
  /** The main process's open stdin (spawned with `stdin.close: false`). */
  mainStdin?: WritableStreamDefaultWriter<Uint8Array>;
  /** The main process exited: no new subprocesses. */
  ended: boolean;
}

export interface SubprocessDeps {
  podman: PodmanRunner;
  store: Store;
  events: EventLog;
  log: Logger;
  now?: () => number;
}

const ACTIVE = new Set(["ASSIGNED", "EXECUTING"]);
/** Not started yet: the main process has no spawn event (EXECUTING emits it at once). */
const QUEUED = new Set(["PENDING", "ASSIGNED"]);

export class Subprocesses {
  readonly #instances = new Map<string, Instance>();
  readonly #now: () => number;

  constructor(private readonly deps: SubprocessDeps) {
    this.#now = deps.now ?? Date.now;
  }

  /** Starts `spec` in the instance's container; its spid. 409 unless the instance runs. */
  async exec(op: OperationRow, spec: ProcessSpec): Promise<number> {
    const parent = instanceSpec(op);
    const name = sandboxContainerName(op.uuid);
    await this.#requireRunning(op, name);
    const instance = this.#instance(op.uuid);
    if (instance.ended) throw conflict(`the main process of operation ${op.uuid} has exited`);
    const spid = instance.nextSpid++;
    const initial = spec.stdin ? decodeStreamRepr(spec.stdin) : undefined;
    const keepOpen = spec.stdin !== undefined && spec.stdin.close === false;
    const pipe = keepOpen ? new TransformStream<Uint8Array, Uint8Array>() : undefined;
    const environment = envFlags(setVariables(spec.env));
    const args = [
      "exec",
      ...(spec.stdin ? ["--interactive"] : []),
      ...["--user", `${spec.uid}:${spec.gid}`, "--workdir", spec.cwd],
      // podman exec cannot unset: a null value only leaves the container's own.
      ...environment.args,
      ...["--env", `${SPID_VARIABLE}=${spid}`],
      name,
      ...commandLine(spec),
    ];
    // podman exec gives no pid: -1 (unknown).
    this.#emit(
      op.uuid,
      spid,
      "spawn",
      spawnEventData(spec, -1, parent.timeout, setVariables(spec.env)),
    );
    if (initial && initial.length > 0) {
      this.deps.events.appendOutput(op.uuid, spid, "stdin", initial);
    }
    const process = this.deps.podman.spawn(args, {
      stdin: pipe ? pipe.readable : initial,
      env: environment.passed,
    });
    const session: Session = { process, exited: false, done: Promise.resolve() };
    if (pipe) {
      session.stdin = pipe.writable.getWriter();
      if (initial && initial.length > 0) void session.stdin.write(initial).catch(() => {});
    }
    session.done = this.#watch(op.uuid, name, spid, spec.truncate_output_at, session);
    instance.sessions.set(spid, session);
    return spid;
  }

  /** The folded result of a process (the main one is spid 1); 404 when there is none. */
  result(op: OperationRow, spid: number): InstanceResult {
    const events = this.deps.events.processEvents(op.uuid, spid);
    const result = foldProcess(events);
    if (!result) throw notFound(`operation ${op.uuid} has no process ${spid}`);
    return result;
  }

  /** Sends a signal to a running process (spid 1 = the main process). */
  async signal(op: OperationRow, spid: number, signal: { name: string; number: number }) {
    const name = sandboxContainerName(op.uuid);
    if (spid === MAIN_SPID) {
      const starting = () =>
        new HttpError(425, `process ${spid} of operation ${op.uuid} has not started`, {
          "Retry-After": "1",
        });
      if (op.kind === "instance" && QUEUED.has(op.status)) throw starting();
      if (!ACTIVE.has(op.status) || this.#instances.get(op.uuid)?.ended) {
        this.result(op, spid);
        throw conflict(`process ${spid} of operation ${op.uuid} has exited`);
      }
      // To its process group, as a terminal's Ctrl-C reaches the whole foreground job
      // (`sh -c 'sleep 30; …'` stops at once). The container's PID 1 is podman's init
      // (catatonit), which would forward a signal to the main process alone.
      const pid = await this.#mainPid(name);
      // Not up yet (just EXECUTING, podman still starting it): later, not to the init, which
      // would pass it to `sh` alone and leave the rest of the line running.
      if (pid === undefined) throw starting();
      try {
        Deno.kill(-pid, `SIG${signal.name}` as Deno.Signal);
        return;
      } catch (error) {
        // No such group yet: `podman top` caught the init's child between its fork and the
        // setsid that makes its group (under load, one run in many): later, as above.
        if (error instanceof Deno.errors.NotFound) throw starting();
        // not ours to signal (rootless podman): podman kill below
      }
      await runChecked(this.deps.podman, ["kill", "--signal", signal.name, name]).catch(() => {
        throw starting();
      });
      return;
    }
    const session = this.#session(op, spid);
    const hostPid = await this.#hostPid(name, spid);
    if (hostPid === undefined) {
      if (session.exited) throw conflict(`process ${spid} of operation ${op.uuid} has exited`);
      throw new HttpError(425, `process ${spid} of operation ${op.uuid} is starting`, {
        "Retry-After": "1",
      });
    }
    try {
      Deno.kill(hostPid, `SIG${signal.name}` as Deno.Signal);
    } catch {
      throw conflict(`process ${spid} of operation ${op.uuid} has exited`);
    }
  }

  /**
   * Keeps the main process's stdin open for `write` (spawned with `stdin.close: false`): `stdin`
   * is what podman reads; it is closed by a write with `close`, or when the main process ends.
   */
  openMainStdin(opUuid: string, stdin: WritableStreamDefaultWriter<Uint8Array>): void {
    this.#instance(opUuid).mainStdin = stdin;
  }

  /** Writes to a process's open stdin (and closes it with `close`). */
  async write(op: OperationRow, spid: number, data: Uint8Array, close: boolean): Promise<void> {
    const instance = this.#instances.get(op.uuid);
    const session = spid === MAIN_SPID ? undefined : this.#session(op, spid);
    const stdin = spid === MAIN_SPID
      ? (instance?.ended ? undefined : instance?.mainStdin)
      : (session?.exited ? undefined : session?.stdin);
    if (!stdin) {
      // A queued instance whose stdin will stay open: too early, not closed.
      if (
        spid === MAIN_SPID && QUEUED.has(op.status) && op.kind === "instance" &&
        instanceSpec(op).stdin?.close === false
      ) {
        throw new HttpError(425, `process 1 of operation ${op.uuid} has not started`, {
          "Retry-After": "1",
        });
      }
      this.result(op, spid);
      throw conflict(`the stdin of process ${spid} of operation ${op.uuid} is not open`);
    }
    try {
      if (data.length > 0) {
        await stdin.write(data);
        this.deps.events.appendOutput(op.uuid, spid, "stdin", data);
      }
      if (close) {
        if (session) session.stdin = undefined;
        else if (instance) instance.mainStdin = undefined;
        await stdin.close();
      }
    } catch {
      throw conflict(`the stdin of process ${spid} of operation ${op.uuid} is closed`);
    }
  }

  /**
   * The instance's main process exited: no new subprocesses; waits until the running ones (which
   * the container's end kills) have logged their exit, stopping their podman after a grace.
   */
  async end(opUuid: string): Promise<void> {
    const instance = this.#instances.get(opUuid);
    if (!instance) return;
    instance.ended = true;
    instance.mainStdin?.close().catch(() => {});
    instance.mainStdin = undefined;
    const sessions = [...instance.sessions.values()];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<"late">((resolve) =>
      timer = setTimeout(resolve, END_GRACE_MS, "late")
    );
    const all = Promise.all(sessions.map((session) => session.done));
    if (await Promise.race([all, grace]) === "late") {
      for (const session of sessions) session.process.stop();
      await all;
    }
    clearTimeout(timer);
    this.#instances.delete(opUuid);
  }

  #instance(opUuid: string): Instance {
    let instance = this.#instances.get(opUuid);
    if (!instance) {
      instance = { nextSpid: MAIN_SPID + 1, sessions: new Map(), ended: false };
      this.#instances.set(opUuid, instance);
    }
    return instance;
  }

  #session(op: OperationRow, spid: number): Session {
    const session = this.#instances.get(op.uuid)?.sessions.get(spid);
    if (session) return session;
    this.result(op, spid); // 404 for a process that never was
    throw conflict(`process ${spid} of operation ${op.uuid} has exited`);
  }

  /** The container's state (`running`, `exited`, …; `missing` when there is none). */
  async #state(name: string): Promise<string> {
    const state = await this.deps.podman.run(
      ["container", "inspect", "--format", "{{.State.Status}}", name],
      { timeoutMs: 30_000 },
    );
    return state.code === 0 ? state.stdout.trim() : "missing";
  }

  async #running(name: string): Promise<boolean> {
    return await this.#state(name).then((state) => state === "running", () => false);
  }

  /** 409 unless the parent is ASSIGNED/EXECUTING; 425 while its container is not up yet. */
  async #requireRunning(op: OperationRow, name: string): Promise<void> {
    if (!ACTIVE.has(op.status)) {
      throw conflict(`operation ${op.uuid} is ${op.status}: subprocesses need a running instance`);
    }
    const status = await this.#state(name);
    if (status === "running") return;
    if (["exited", "stopping", "stopped", "removing"].includes(status)) {
      throw conflict(`the main process of operation ${op.uuid} has exited`);
    }
    throw new HttpError(425, `the instance of operation ${op.uuid} is starting`, {
      "Retry-After": "1",
    });
  }

  /** Pumps a subprocess's output into the log and logs its exit. */
  async #watch(
    opUuid: string,
    container: string,
    spid: number,
    cap: number,
    session: Session,
  ): Promise<void> {
    const started = this.#now();
    const streams = [["stdout", session.process.stdout], [
      "stderr",
      session.process.stderr,
    ]] as const;
    await Promise.all(streams.map(async ([stream, readable]) => {
      let emitted = 0;
      let dropped = 0;
      for await (const chunk of readable) {
        // Up to the process's cap, and as much as the operation's log still takes.
        const wanted = chunk.subarray(0, Math.max(0, cap - emitted));
        const { kept } = this.deps.events.appendOutput(opUuid, spid, stream, wanted);
        emitted += kept;
        dropped += chunk.length - kept;
      }
      if (dropped > 0) {
        this.#emit(opUuid, spid, "truncated", {
          stream,
          bytes_emitted: emitted,
          bytes_dropped: dropped,
        });
      }
    })).catch((error) => this.deps.log.warning(`subprocess ${spid} of ${opUuid}: ${error}`));
    let { code, signal } = exitStatus(await session.process.exitCode.catch(() => 125));
    // podman exits 255 when the container went away under the session (the instance ended,
    // killing its processes): the process died with it.
    if (code === PODMAN_LOST_CONTAINER && !(await this.#running(container))) {
      ({ code, signal } = { code: -1, signal: SIGNALS.KILL });
    }
    session.exited = true;
    session.stdin?.close().catch(() => {});
    this.#emit(opUuid, spid, "exit", {
      pid: -1,
      code,
      signal,
      core_dump: false,
      timed_out: false,
      duration_ms: this.#now() - started,
      resources: exitResources(undefined),
    });
  }

  /**
   * The host pid of the main process: under the init (PID 1), the container's oldest process,
   * i.e. the lowest pid, that no subprocess mark claims. Undefined before it runs.
   */
  async #mainPid(container: string): Promise<number | undefined> {
    const processes = await this.#processes(container);
    return processes
      .filter(({ pid, hpid }) => pid > 1 && !environment(hpid).some(isSpidMark))
      .sort((a, b) => a.pid - b.pid)[0]?.hpid;
  }

  /** The processes of a container (`podman top`), with pids inside it and on the host. */
  async #processes(container: string): Promise<{ pid: number; hpid: number; ppid: number }[]> {
    const listed = await this.deps.podman.run(["top", container, "pid", "hpid", "ppid"], {
      timeoutMs: 30_000,
    });
    if (listed.code !== 0) return [];
    return listed.stdout.split("\n").slice(1).map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length >= 3 && fields.every((f) => /^\d+$/.test(f)))
      .map(([pid, hpid, ppid]) => ({ pid: Number(pid), hpid: Number(hpid), ppid: Number(ppid) }));
  }

  /**
   * The host pid of a subprocess: among the container's processes (`podman top … pid hpid
   * ppid`), the one marked with its spid whose parent is not marked (its children inherit the
   * mark).
   */
  async #hostPid(container: string, spid: number): Promise<number | undefined> {
    const marker = `${SPID_VARIABLE}=${spid}`;
    const marked = (await this.#processes(container))
      .filter(({ hpid }) => environment(hpid).includes(marker));
    const pids = new Set(marked.map((p) => p.pid));
    return marked.find((p) => !pids.has(p.ppid))?.hpid;
  }

  #emit(opUuid: string, spid: number, type: string, data: Record<string, unknown>): void {
    this.deps.events.append(opUuid, spid, type, data);
  }
}

/** The spawn request of an instance operation (what its subprocesses default to); 409 for others. */
export function instanceSpec(op: OperationRow): InstanceSpec {
  if (op.kind !== "instance") throw conflict("only instance operations run subprocesses");
  return op.metadata as unknown as InstanceSpec;
}

function conflict(message: string): HttpError {
  return new HttpError(409, message);
}

function isSpidMark(entry: string): boolean {
  return entry.startsWith(`${SPID_VARIABLE}=`);
}

/** The environment entries of a host process ("K=V"), empty when it cannot be read. */
function environment(hostPid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${hostPid}/environ`).split("\0");
  } catch {
    return [];
  }
}
