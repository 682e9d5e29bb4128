// What a run used — CPU time and peak memory — read from a cgroup of its own. Each container
// runs under a parent cgroup named for its operation (`--cgroup-parent`), and conmon stays out
// of it (`--cgroups=no-conmon`: conmon and the runc it starts would otherwise be charged there,
// 11 MB before the sandbox starts). The kernel charges every level up the tree, and the parent's
// counters outlive the container's own cgroup, which podman removes when the container exits.
// This needs podman's cgroupfs manager and root (cgroup v1 or v2); anywhere else nothing is
// measured and the API reports −1, as it may (API spec §3.5). docs/SERVER.md says what each
// figure is.

import type { PodmanRunner } from "../podman.ts";

export interface RunUsage {
  /** CPU time in user and kernel mode, microseconds. */
  userMicros: number;
  systemMicros: number;
  /** The most memory charged at once (resident memory and page cache), bytes; undefined where
   * the kernel does not keep it (cgroup v2 before Linux 5.19). */
  peakMemoryBytes?: number;
}

/** Where cgroup file systems are mounted. */
const CGROUP_ROOT = "/sys/fs/cgroup";

export class UsageMeter {
  /**
   * @param version the cgroup version of the host
   * @param prefix the start of this server's cgroup names (`contree-<server id>-`)
   * @param root where the cgroup file systems are (tests give a directory of their own)
   */
  constructor(
    readonly version: 1 | 2,
    private readonly prefix: string,
    private readonly root = CGROUP_ROOT,
  ) {}

  /** A meter where podman runs containers in cgroups the server can read; else undefined. */
  static async detect(podman: PodmanRunner, serverId: string): Promise<UsageMeter | undefined> {
    if (Deno.build.os !== "linux" || Deno.uid() !== 0) return undefined;
    const info = await podman.run([
      "info",
      "--format",
      "{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}",
    ], { timeoutMs: 30_000 }).catch(() => undefined);
    const [manager, version] = info?.code === 0 ? info.stdout.trim().split(/\s+/) : [];
    if (manager !== "cgroupfs") return undefined;
    const prefix = `contree-${serverId}-`;
    let meter: UsageMeter | undefined;
    if (version === "v2" && exists(`${CGROUP_ROOT}/cgroup.controllers`)) {
      meter = new UsageMeter(2, prefix);
    } else if (version === "v1" && exists(`${CGROUP_ROOT}/memory`)) {
      meter = new UsageMeter(1, prefix);
    }
    // podman must be able to create the parent (a read-only /sys/fs/cgroup in a container
    // would fail every run that names one).
    return meter && canCreate(meter.#parentDir(`${prefix}probe`)) ? meter : undefined;
  }

  /** The run's parent cgroup in the hierarchy that holds CPU time (v1) or the one tree (v2). */
  #parentDir(name: string): string {
    return this.version === 1 ? `${this.root}/cpuacct/${name}` : `${this.root}/${name}`;
  }

  /** Cgroups of runs that have not ended: podman may be creating them, a sweep leaves them. */
  readonly #active = new Set<string>();

  /**
   * podman's flags that put a run's container, and only it, under its own parent cgroup. The
   * run counts as going on until `release`.
   */
  cgroupArgs(opUuid: string): string[] {
    this.#active.add(this.#name(opUuid));
    return ["--cgroups=no-conmon", "--cgroup-parent", `/${this.#name(opUuid)}`];
  }

  /** The run has ended (read it first): its cgroup goes, with any other left behind. */
  release(opUuid: string): void {
    this.#active.delete(this.#name(opUuid));
    this.sweep();
  }

  /** What the run's processes used, once they have exited; undefined when it cannot be read. */
  read(opUuid: string): RunUsage | undefined {
    const name = this.#name(opUuid);
    try {
      return this.version === 1 ? this.#readV1(name) : this.#readV2(name);
    } catch {
      return undefined;
    }
  }

  /**
   * Removes every cgroup of this server that no run uses any more: after each run (a run's own
   * may still hold the container's for a moment; the next sweep gets it), at start-up and at
   * shutdown. Cgroups of runs going on are left alone (podman may be between making a parent
   * and the container's cgroup inside it).
   */
  sweep(): void {
    const names = new Set<string>();
    for (const dir of this.#hierarchies()) {
      for (const entry of readDir(dir)) {
        const ours = entry.isDirectory && entry.name.startsWith(this.prefix);
        if (ours && !this.#active.has(entry.name)) names.add(entry.name);
      }
    }
    for (const name of names) this.#remove(name);
  }

  #name(opUuid: string): string {
    return `${this.prefix}${opUuid}`;
  }

  /** The directories whose children are top-level cgroups: one per v1 hierarchy, or the root. */
  #hierarchies(): string[] {
    if (this.version === 2) return [this.root];
    return readDir(this.root)
      .filter((entry) => entry.isDirectory)
      .map((entry) => `${this.root}/${entry.name}`);
  }

  /** rmdir of the cgroup in every hierarchy; one still in use stays (a later sweep gets it). */
  #remove(name: string): void {
    for (const dir of this.#hierarchies()) optional(() => Deno.removeSync(`${dir}/${name}`));
  }

  #readV1(name: string): RunUsage {
    const cpu = this.#parentDir(name);
    const memory = `${this.root}/memory/${name}`;
    return {
      userMicros: nanosToMicros(Deno.readTextFileSync(`${cpu}/cpuacct.usage_user`)),
      systemMicros: nanosToMicros(Deno.readTextFileSync(`${cpu}/cpuacct.usage_sys`)),
      peakMemoryBytes: count(Deno.readTextFileSync(`${memory}/memory.max_usage_in_bytes`)),
    };
  }

  #readV2(name: string): RunUsage {
    const stat = keyedInts(Deno.readTextFileSync(`${this.#parentDir(name)}/cpu.stat`));
    const peak = optional(() => Deno.readTextFileSync(`${this.#parentDir(name)}/memory.peak`));
    return {
      userMicros: count(String(stat.user_usec)),
      systemMicros: count(String(stat.system_usec)),
      ...(peak !== undefined ? { peakMemoryBytes: count(peak) } : {}),
    };
  }
}

/** A counter file's number; a missing or odd one fails the read (nothing is reported then). */
function count(text: string): number {
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a counter: ${text}`);
  return value;
}

function nanosToMicros(text: string): number {
  return Math.round(count(text) / 1000);
}

function optional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** `key value` lines (cpu.stat) as numbers. */
function keyedInts(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) values[key] = Number(value);
  }
  return values;
}

/** Whether a cgroup can be made here (made and removed at once). */
function canCreate(path: string): boolean {
  try {
    Deno.mkdirSync(path);
  } catch {
    return false;
  }
  optional(() => Deno.removeSync(path));
  return true;
}

function exists(path: string): boolean {
  return optional(() => Deno.statSync(path)) !== undefined;
}

function readDir(path: string): Deno.DirEntry[] {
  return optional(() => [...Deno.readDirSync(path)]) ?? [];
}
