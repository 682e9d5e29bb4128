// `deno task compile` (scripts/compile.ts): the build itself where a runtime for compiling is
// available, and the parts that need none everywhere.
//
// `deno compile` needs denort, the runtime each executable is built on: from DENORT_BIN, from
// DENO_DIR's download cache, or downloaded from dl.deno.land. Where none of these is possible
// the compiled-binary test prints a SKIP line saying why and is ignored; it never passes
// without building and running a binary.

import {
  checkDenortBin,
  compile,
  executableName,
  hostTarget,
  isRuntimeDownloadFailure,
  LAZY_IMPORTS,
  releaseBuildInfo,
  releaseConfig,
  summariseError,
  TARGETS,
  writeChecksums,
} from "../../scripts/compile.ts";
import { RELEASE_VERSION } from "../../src/version.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { startTestServer } from "../support/server.ts";
import {
  collect,
  denoCacheDirs,
  type Exited,
  hasAnsi,
  REPO,
  skip,
  topLevelCommands,
} from "./helpers.ts";

const TARGET = hostTarget();

/** Why no executable can be built here, or undefined when one can. */
async function runtimeProblem(): Promise<string | undefined> {
  // A DENORT_BIN that is set is used (and a wrong one fails the test, it is not skipped).
  if (Deno.env.get("DENORT_BIN")) return undefined;
  const { denoDir } = await denoCacheDirs();
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${TARGET}.zip`;
  try {
    await Deno.stat(cached);
    return undefined;
  } catch {
    // not downloaded before: try the network
  }
  const url = `https://dl.deno.land/release/v${Deno.version.deno}/denort-${TARGET}.zip`;
  try {
    const response = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    if (response.ok) return undefined;
    return `${url} answered ${response.status}`;
  } catch (error) {
    const reason = ((error as Error).cause as Error | undefined)?.message ??
      (error as Error).message;
    return `no denort for ${TARGET}: DENORT_BIN is unset, none is cached in ${denoDir}/dl, and ` +
      `${url} is unreachable (${reason.split("\n")[0]})`;
  }
}

const problem = await runtimeProblem();
if (problem) skip("compiled binary (build, -v, --help, ps)", problem);
const commands = await topLevelCommands();

function runBinary(path: string, args: string[], env: Record<string, string>): Promise<Exited> {
  return collect(
    new Deno.Command(path, {
      args,
      env,
      clearEnv: true,
      cwd: "/",
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

Deno.test({
  name: "compile: the host executable reports the release, runs commands, talks to an API",
  ignore: problem !== undefined,
  async fn() {
    const denort = Deno.env.get("DENORT_BIN");
    if (denort) assertEquals(await checkDenortBin(denort), undefined);
    const out = await Deno.makeTempDir({ prefix: "contree-dist-" });
    const server = await startTestServer();
    try {
      const [result] = await compile([TARGET], out);
      assertEquals(result.error, undefined);
      const binary = result.path!;
      await writeChecksums(out, [result]);
      const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
      assertMatch(sums, new RegExp(`^[0-9a-f]{64}  ${executableName(TARGET)}\\n$`));

      // No HOME, no DENO_DIR: the executable needs nothing from the machine.
      const bare = { PATH: "/usr/bin:/bin" };
      const version = await runBinary(binary, ["-v"], bare);
      assertEquals([version.code, version.stderr], [0, ""]);
      assertEquals(
        version.stdout,
        `contree/${RELEASE_VERSION} Deno/${Deno.version.deno} ${Deno.build.os}-${Deno.build.arch}\n`,
        "not contree's -v: is DENORT_BIN the deno CLI instead of denort?",
      );
      const help = await runBinary(binary, ["--help"], bare);
      assertEquals([help.code, help.stderr], [0, ""]);
      assertMatch(help.stdout, /^Usage: contree \[options\] <command> \[args\]/);
      const manual = await runBinary(binary, ["agent", "core"], bare);
      assertEquals([manual.code, manual.stderr], [0, ""]);
      assertMatch(manual.stdout, /^Core workflow$/m);

      if (!commands.has("ps")) {
        skip("compiled binary ps", "no `ps` command in the tree yet");
        return;
      }
      // `ps` against the local server: an import of a missing rootfs gives it one operation.
      const { uuid } = await server.client.importImage({
        registry: { url: "file:///nonexistent/rootfs.tar" },
      });
      const ps = await runBinary(binary, ["-f", "json", "ps", "--all"], {
        ...bare,
        CONTREE_URL: server.url,
        CONTREE_TOKEN: server.token,
      });
      assertEquals(ps.code, 0, ps.stderr);
      assert(!hasAnsi(ps.stderr), ps.stderr);
      assertEquals(ps.stdout.trim().split("\n").map((line) => JSON.parse(line).uuid), [uuid]);
    } finally {
      await server.cleanup();
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("compile: the executable embeds what commands import lazily, npm packages included", async () => {
  // deno.json keeps `import()` targets out of Deno's start-up graph, and `deno compile` would
  // then leave them out of the executable. Built on the deno CLI instead of denort, the
  // executable cannot run as contree, but what it embeds can be read.
  const config = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`));
  assert(config.unstable.includes(LAZY_IMPORTS), "deno.json no longer loads imports lazily");
  assertEquals(JSON.parse(releaseConfig(JSON.stringify(config))).unstable, undefined);
  const both = { ...config, unstable: ["kv", LAZY_IMPORTS] };
  assertEquals(JSON.parse(releaseConfig(JSON.stringify(both))).unstable, ["kv"]);

  // Each marker is in a module or package that only an `import()` reaches.
  const importCmd = "Waiting for ${running.size} import";
  assert((await Deno.readTextFile(`${REPO}/src/images/import_cmd.ts`)).includes(importCmd));
  const markers = [importCmd, "dockerfile-ast", "eventsource-parser", "ZodError"];
  const out = await Deno.makeTempDir({ prefix: "contree-dist-" });
  try {
    const [result] = await compile([TARGET], out, RELEASE_VERSION, Deno.execPath());
    assertEquals(result.error, undefined);
    const embedded = new TextDecoder("latin1").decode(await Deno.readFile(result.path!));
    assertEquals(markers.filter((marker) => !embedded.includes(marker)), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("compile: a failed build reports why, writes no checksums, leaves the tree as it was", async () => {
  const buildInfo = `${REPO}/src/build_info.ts`;
  const before = await Deno.readTextFile(buildInfo);
  const out = await Deno.makeTempDir({ prefix: "contree-dist-" });
  try {
    const results = await compile(["no-such-target"], out);
    assertEquals(results.length, 1);
    assertEquals(results[0].path, undefined);
    assertMatch(results[0].error!, /^error: invalid value 'no-such-target' for '--target'/);
    await writeChecksums(out, results);
    assertEquals([...Deno.readDirSync(out)], []);
    assertEquals(await Deno.readTextFile(buildInfo), before);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("compile: the release build info, names, and how failures are told apart", async () => {
  const source = await Deno.readTextFile(`${REPO}/src/build_info.ts`);
  const release = releaseBuildInfo(source, "1.2.3");
  assertMatch(release, /release: true, version: "1\.2\.3"/);
  assertEquals(release.split("\n").length, source.split("\n").length);
  let threw = false;
  try {
    releaseBuildInfo("// nothing to rewrite\n", "1.2.3");
  } catch {
    threw = true;
  }
  assert(threw, "a build_info.ts without BUILD_INFO must not compile silently as dev");

  assertEquals(TARGETS.map(executableName), [
    "contree-x86_64-unknown-linux-gnu",
    "contree-aarch64-unknown-linux-gnu",
    "contree-x86_64-apple-darwin",
    "contree-aarch64-apple-darwin",
    "contree-x86_64-pc-windows-msvc.exe",
  ]);

  const offline =
    "\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file " +
    "'/d/x.tmp'\n\nCaused by:\n    0: Setting up base binary.\n    1: error sending request for " +
    "url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): dns error\n" +
    "    2: dns error\n\nStack backtrace:\n   0: <unknown>\n";
  assert(isRuntimeDownloadFailure(offline));
  assertEquals(
    summariseError(offline),
    "error: Writing deno compile executable to temporary file '/d/x.tmp': error sending " +
      "request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): " +
      "dns error",
  );
  assert(!isRuntimeDownloadFailure("error: TS2322 [ERROR]: Type 'string' is not assignable"));

  assertMatch((await checkDenortBin(Deno.execPath()))!, /is the deno CLI; it must be denort/);
  assertMatch((await checkDenortBin("/nonexistent/denort"))!, /does not exist/);
});

Deno.test("deno task compile: an unknown target is a usage error", async () => {
  const result = await collect(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${REPO}/scripts/compile.ts`, "--target", "riscv"],
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  assertEquals([result.code, result.stdout], [2, ""]);
  assertMatch(result.stderr, /^unknown target riscv; targets: host, x86_64-unknown-linux-gnu/);
});
