// `deno run https://…/main.ts`: the repository served over HTTP runs with no deno.json in
// reach, so every import must resolve on its own (relative paths, versioned npm:, node:).
// The cwd and HOME are empty temporary directories; DENO_DIR is fresh (downloaded modules do
// not pile up in the machine's cache) but shares the machine's npm cache to stay fast.

import { networkEnv } from "../../scripts/child_env.ts";
import { RELEASE_VERSION } from "../../src/version.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { collect, denoCacheDirs, type Exited, REPO, serveRepository, skip } from "./helpers.ts";

interface Sandbox {
  cwd: string;
  env: Record<string, string>;
}

async function withSandbox(
  body: (sandbox: Sandbox, url: string) => Promise<void>,
  serve: () => Promise<{ url: string; close(): Promise<void> }> = () =>
    Promise.resolve(serveRepository()),
) {
  const root = await Deno.makeTempDir({ prefix: "contree-url-run-" });
  const server = await serve();
  try {
    const { npmCache } = await denoCacheDirs();
    for (const dir of ["cwd", "home", "deno"]) await Deno.mkdir(`${root}/${dir}`);
    await Deno.symlink(npmCache, `${root}/deno/npm`);
    const env = {
      ...networkEnv(),
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: `${root}/home`,
      DENO_DIR: `${root}/deno`,
      DENO_NO_UPDATE_CHECK: "1",
    };
    await body({ cwd: `${root}/cwd`, env }, server.url);
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
}

function denoCommand(sandbox: Sandbox, args: string[]): Promise<Exited> {
  return collect(
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: sandbox.cwd,
      env: sandbox.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

Deno.test("deno run from a URL: --help and -v work without a config file", async () => {
  await withSandbox(async (sandbox, url) => {
    const main = `${url}/main.ts`;
    const run = (...args: string[]) =>
      denoCommand(sandbox, ["run", "-A", "--quiet", "--no-config", "--no-lock", main, ...args]);

    const help = await run("--help");
    assertEquals(help.stderr, "");
    assertEquals(help.code, 0);
    assertMatch(help.stdout, /^Usage: contree \[options\] <command> \[args\]/);
    assertMatch(help.stdout, /^ {2}auth\b/m);

    // A remote run is a release: the version is the release version, never "dev".
    const version = await run("-v");
    assertEquals(version.stderr, "");
    assertEquals(version.code, 0);
    assertMatch(
      version.stdout,
      new RegExp(`^contree/${RELEASE_VERSION.replaceAll(".", "\\.")} Deno/\\S+ \\w+-\\w+\\n$`),
    );

    // Nothing was written next to the caller: contree creates no files for these.
    assertEquals([...Deno.readDirSync(sandbox.cwd)], []);
  });
});

Deno.test("deno run from a URL: the whole module graph resolves, lazy imports included", async () => {
  await withSandbox(async (sandbox, url) => {
    // `deno info` walks static and literal dynamic imports (the lazy npm loaders, command
    // bodies loaded on first use) and records an error on each module it cannot resolve.
    const info = await denoCommand(sandbox, ["info", "--json", "--no-config", `${url}/main.ts`]);
    assertEquals(info.code, 0, info.stderr);
    const graph = JSON.parse(info.stdout) as {
      modules: { specifier: string; error?: string }[];
    };
    const broken = graph.modules.filter((m) => m.error).map((m) => `${m.specifier}: ${m.error}`);
    assertEquals(broken, []);
    const local = graph.modules.filter((m) => m.specifier.startsWith(url));
    assert(local.length > 10, `expected the repository's modules, got ${local.length}`);
  });
});

/** The server command the README shows for serving a checkout, on a free port. */
async function readmeServer(): Promise<{ url: string; close(): Promise<void> }> {
  const readme = await Deno.readTextFile(`${REPO}/README.md`);
  const line = readme.split("\n").find((l) => l.startsWith("python3 -c '"));
  assert(line, "the README shows a python3 server command");
  const code = line.slice("python3 -c '".length, -1).replace("port=8000", "port=0");
  const child = new Deno.Command("python3", {
    args: ["-c", code],
    cwd: REPO,
    env: { PYTHONUNBUFFERED: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const close = async () => {
    child.kill();
    await child.status;
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      await close();
      throw new Error(`the README's server did not start: ${text}`);
    }
    text += value;
    const port = /Serving HTTP on \S+ port (\d+)/.exec(text)?.[1];
    if (port) {
      // Keep reading so the server never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done);
      })().catch(() => {});
      return { url: `http://127.0.0.1:${port}`, close };
    }
  }
}

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["-c", ""], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "deno run from a URL: the README's server command serves TypeScript Deno accepts",
  ignore: !hasPython() && (skip("README server command", "python3 not installed"), true),
  fn: async () => {
    await withSandbox(async (sandbox, url) => {
      const version = await denoCommand(sandbox, [
        "run",
        "-A",
        "--quiet",
        "--no-config",
        "--no-lock",
        `${url}/main.ts`,
        "-v",
      ]);
      assertEquals([version.code, version.stderr], [0, ""]);
      assertMatch(version.stdout, /^contree\/\S+ Deno\//);
    }, readmeServer);
  },
});
