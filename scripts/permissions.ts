// The permissions contree runs with when compiled, and in the CLI tests (so every subprocess
// test runs as users run it): all of them. Deno grants reads under /proc only with
// --allow-all (a process's state and environment, the OOM count, the boot id, stdin's file),
// which the server and the CLI need; and unrestricted --allow-run, which podman and editors
// need, already lets a program do anything a narrower set would keep from it.
export const COMPILE_PERMISSIONS = ["--allow-all"] as const;
