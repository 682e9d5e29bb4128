// `deno task demo`: the main job on the local ConTree server, offline and without an account.
//
// 1. start `contree server` in the background when it is not running (profile `local`);
// 2. make a base image when none is tagged `busybox:latest` (or its podman image is gone): import
//    it from a registry, or, when no registry is reachable, from a rootfs built out of the host's
//    busybox-static;
// 3. `use` it in a fresh session, `run` a command whose output streams over a few seconds,
//    run a second step on the resulting image, show the session history and the operations.
//
// Every step is a real `contree` invocation, printed before it runs (shell-quoted, so it can be
// pasted). On podman hosts that need special settings (this repository's CI machines),
// CONTAINERS_CONF defaults to tests/podman/containers.conf when it is not set.
//
// `deno task demo --port N` starts the server on port N (0: any free one) instead of 7680.

import { busyboxPath, busyboxRootfsTar } from "./busybox_rootfs.ts";
import { COMPILE_PERMISSIONS } from "./permissions.ts";
import { shellQuote } from "../src/shell_words.ts";

const ROOT = new URL("../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const SESSION = `demo-${crypto.randomUUID().slice(0, 8)}`;
const BASE_TAG = "busybox:latest";

const env: Record<string, string> = {
  CONTAINERS_CONF: Deno.env.get("CONTAINERS_CONF") ??
    new URL("tests/podman/containers.conf", ROOT).pathname,
};

function banner(text: string): void {
  const styled = Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR")
    ? `\x1b[1;36m${text}\x1b[0m`
    : text;
  console.error(`\n${styled}`);
}

/** Runs `contree …` with inherited stdio (live output) and returns its exit code. */
async function contree(args: string[], options: { quiet?: boolean } = {}): Promise<number> {
  if (!options.quiet) banner(`$ contree ${args.map(shellQuote).join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, ...args],
    env,
    stdin: "null",
    stdout: options.quiet ? "null" : "inherit",
    stderr: options.quiet ? "null" : "inherit",
  }).output();
  return code;
}

/** Runs `contree …` and returns its stdout (stderr shown unless `quiet`). */
async function capture(args: string[], quiet = false): Promise<{ code: number; stdout: string }> {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: quiet ? "null" : "inherit",
  }).output();
  return { code, stdout: new TextDecoder().decode(stdout) };
}

function check(code: number, what: string): void {
  if (code !== 0) fail(`${what} failed (exit ${code})`, code);
}

function fail(message: string, code = 1): never {
  console.error(`demo: ${message}`);
  Deno.exit(code);
}

/** `--port N` of the command line; undefined when not given. */
function portArgument(args: string[]): string | undefined {
  const at = args.findIndex((arg) => arg === "--port" || arg.startsWith("--port="));
  if (at === -1) {
    if (args.length > 0) fail(`unknown arguments: ${args.join(" ")} (only --port N is taken)`, 2);
    return undefined;
  }
  const port = args[at].startsWith("--port=") ? args[at].slice("--port=".length) : args[at + 1];
  if (port === undefined || !/^\d+$/.test(port)) fail("--port needs a port number (0: any)", 2);
  return port;
}

async function ensureServer(port: string | undefined): Promise<void> {
  if (await contree(["server", "status"], { quiet: true }) === 0) {
    banner("The local ConTree server is already running:");
    await contree(["server", "status"], { quiet: false });
    return;
  }
  const portArgs = port === undefined ? [] : ["--port", port];
  check(await contree(["server", "start", "--detach", ...portArgs]), "starting the server");
}

type BaseImage = "there" | "missing" | "gone";

/**
 * Whether the server has the base image: tagged, and still in podman's storage (a tagged image
 * whose podman image was removed outside contree, as docs/SERVER.md describes, is imported anew).
 */
async function baseImage(): Promise<BaseImage> {
  if (!await baseImageTagged()) return "missing";
  // A run is what needs podman's image (a listing may come from a mount the server still holds),
  // tried in a session of its own: the demo's stays fresh.
  const probe = await capture(
    [
      "-p",
      "local",
      "-S",
      `${SESSION}-probe`,
      "run",
      "-D",
      "--use",
      `tag:${BASE_TAG}`,
      "--",
      "true",
    ],
    true,
  );
  return probe.code === 0 ? "there" : "gone";
}

async function baseImageTagged(): Promise<boolean> {
  const { code, stdout } = await capture([
    "-p",
    "local",
    "-f",
    "json",
    "images",
    "--all",
    "--prefix",
    "busybox",
  ]);
  return code === 0 &&
    stdout.split("\n").filter(Boolean).some((line) => JSON.parse(line).tag === BASE_TAG);
}

async function ensureBaseImage(): Promise<void> {
  const state = await baseImage();
  if (state === "there") {
    banner(`Base image ${BASE_TAG} is there.`);
    return;
  }
  banner(
    state === "gone"
      ? `Base image ${BASE_TAG} is gone from podman's storage: importing it again, registry first.`
      : "No base image yet: trying the registry first (contree -p local images import busybox).",
  );
  const importArgs = [
    "-p",
    "local",
    "images",
    "import",
    "--timeout",
    "60",
    `busybox?tag=${BASE_TAG}`,
  ];
  if ((await capture(importArgs, true)).code === 0) {
    banner(`Imported ${BASE_TAG} from the registry.`);
    return;
  }
  banner("No registry reachable: building a rootfs from the host's busybox-static instead.");
  if (!busyboxPath()) {
    fail("busybox-static is not installed (Debian/Ubuntu: apt-get install busybox-static)");
  }
  const tar = await Deno.makeTempFile({ prefix: "contree-demo-rootfs-", suffix: ".tar" });
  try {
    await Deno.writeFile(tar, await busyboxRootfsTar());
    check(
      await contree(["-p", "local", "images", "import", `file://${tar}?tag=${BASE_TAG}`]),
      "importing the base image",
    );
  } finally {
    await Deno.remove(tar).catch(() => {});
  }
}

if (import.meta.main) {
  await ensureServer(portArgument(Deno.args));
  await ensureBaseImage();
  const started = new Date().toISOString();
  const s = ["-p", "local", "-S", SESSION];
  check(await contree([...s, "use", `tag:${BASE_TAG}`]), "use");
  check(
    await contree([
      ...s,
      "run",
      "--shell",
      "--",
      'for i in 1 2 3 4 5; do echo "step $i of 5 at $(date +%T)"; sleep 1; done; echo "made by the first run" > /greeting.txt',
    ]),
    "the first run",
  );
  check(await contree([...s, "run", "--", "cat", "/greeting.txt"]), "the second run");
  check(await contree([...s, "session", "show"]), "session show");
  // This demo's two runs (not the base image's check or imports).
  check(
    await contree(["-p", "local", "ps", "--all", "--kind", "instance", "--since", started]),
    "ps",
  );
  banner(
    `Done. The session is ${SESSION}; roll back with: contree -p local -S ${SESSION} session rollback`,
  );
  banner(
    "The local server keeps running for the next commands (`contree server status` says where); " +
      "stop it with: contree server stop",
  );
}
