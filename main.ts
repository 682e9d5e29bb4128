// contree: ConTree sandboxes and local podman task containers from one CLI.
// The entry point: check the permissions, build the context, run, exit. This is the only place
// that exits.

import { main } from "./src/cli/main.ts";
import { createProcessContext } from "./src/context.ts";

/** Every permission contree uses (it reads /proc, starts podman and itself, serves, …). */
const NEEDED: Deno.PermissionName[] = ["env", "read", "write", "net", "run", "sys"];

if (import.meta.main) {
  const missing = NEEDED.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
  if (missing.length > 0) {
    // Without this, the first access is Deno's prompt, or (no terminal) its stack trace.
    console.error(
      `[ERROR] contree needs all permissions (missing: ${missing.join(", ")}): run it with -A, ` +
        "e.g. deno run -A <path or URL of main.ts>",
    );
    Deno.exit(2);
  }
  Deno.exit(await main(Deno.args, createProcessContext()));
}
