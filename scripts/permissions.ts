// The permissions contree runs with when compiled, and in the CLI tests (so every subprocess
// test proves the set is enough): network (API, local server), files (config, sessions,
// uploads, downloads), environment, subprocesses (podman, git for the version, editors).
export const COMPILE_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=hostname,osRelease,uid,gid",
] as const;
