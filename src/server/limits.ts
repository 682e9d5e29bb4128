// What confines a sandbox (issue 15): memory, CPU and process limits on every run, applied with
// podman's flags and reported by `GET /v1/whoami`; a user namespace (container root is not host
// root) where podman can use one; and how a run killed for using too much memory is recognised.
//
// User namespaces: `--userns=auto` needs a `containers` range in /etc/subuid, so the server maps
// a fixed host range with `--uidmap`/`--gidmap` instead. podman 4.3's overlay storage mounts the
// image layers id-mapped but records no mapping for the container's own layer, so `podman
// commit` of a mapped container writes host ids (e.g. 1000000005 for uid 5) into the new image.
// Runs that are committed therefore run without a user namespace; runs that are not (disposable
// runs) get one. docs/SERVER.md says what that leaves.

export interface UserNamespace {
  /** First host uid/gid; container id 0 is this id. */
  hostStart: number;
  /** Number of ids mapped (container ids 0 … size-1). */
  size: number;
}

export interface SandboxLimits {
  /** Memory limit in bytes (swap included: the limit is the limit); 0 = none. */
  memoryBytes: number;
  /** CPUs a sandbox may use (CFS quota); 0 = none. */
  cpus: number;
  /** Most processes/threads at once; 0 = none. */
  pids: number;
  /** The mapped id range of runs that are not committed; undefined = no user namespace. */
  userns?: UserNamespace;
}

/** podman's resource flags for a sandbox. */
export function limitArgs(limits: SandboxLimits): string[] {
  return [
    ...(limits.memoryBytes > 0
      ? ["--memory", `${limits.memoryBytes}b`, "--memory-swap", `${limits.memoryBytes}b`]
      : []),
    ...(limits.cpus > 0 ? ["--cpus", String(limits.cpus)] : []),
    ...(limits.pids > 0 ? ["--pids-limit", String(limits.pids)] : []),
  ];
}

/** podman's id-mapping flags: container ids 0 … size-1 are host ids hostStart … . */
export function userNamespaceArgs(userns: UserNamespace | undefined): string[] {
  if (!userns) return [];
  const map = `0:${userns.hostStart}:${userns.size}`;
  return ["--uidmap", map, "--gidmap", map];
}

/** The user namespace a run gets: only runs that are not committed (see above). */
export function runUserNamespace(
  limits: SandboxLimits,
  run: { disposable: boolean },
): UserNamespace | undefined {
  return run.disposable ? limits.userns : undefined;
}

/** The `limits` of `GET /v1/whoami` (map string → int; a limit that is off is left out). */
export function whoamiLimits(limits: SandboxLimits): Record<string, number> {
  return {
    ...(limits.memoryBytes > 0 ? { instance_memory_bytes: limits.memoryBytes } : {}),
    ...(limits.cpus > 0 ? { instance_cpu_millicores: Math.round(limits.cpus * 1000) } : {}),
    ...(limits.pids > 0 ? { instance_max_pids: limits.pids } : {}),
    ...(limits.userns ? { instance_userns_ids: limits.userns.size } : {}),
  };
}

/**
 * The kernel's count of OOM kills so far (`oom_kill` in /proc/vmstat), or undefined where it
 * cannot be read. podman 4.3 on cgroup v1 does not report `OOMKilled` (conmon misses the event),
 * so a run that died of SIGKILL while this count went up is taken as killed for its memory.
 */
export function oomKillCount(): number | undefined {
  try {
    const match = /^oom_kill (\d+)$/m.exec(Deno.readTextFileSync("/proc/vmstat"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A memory size as people write it: whole MiB when it is one, else bytes. */
export function memoryText(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

/** The error of a run the kernel killed for exceeding its memory limit. */
export function outOfMemoryError(limits: SandboxLimits): string {
  return `out of memory: the sandbox exceeded its memory limit of ${
    memoryText(limits.memoryBytes)
  } and was killed (SIGKILL)`;
}
