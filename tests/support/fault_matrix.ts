// The fault matrix of issue 14, shared by the run against the FakeApi (tests/operations/
// faults_test.ts) and against the local server on podman (tests/integration/
// faults_podman_test.ts): each row is a fault plan for a FaultProxy between the CLI (a real
// subprocess) and the backend. `run` must print exactly what the sandbox printed, on stdout and
// on stderr, and exit with its status; the starred rows (`waits`) also check `build` with a
// failing RUN (byte for byte against the same build without faults), `op wait` on a detached
// run and `session wait` (the row, the exit status, nothing on stderr).

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import { type Chunk, type Program, streamText, textChunks } from "./fake_sandbox.ts";
import {
  type Fault,
  type FaultPlan,
  FaultProxy,
  frameType,
  PASS,
  type ProxiedRequest,
} from "./fault_proxy.ts";
import { prng, randomText } from "./prng.ts";

const encoder = new TextEncoder();

export const QUICK: Program = {
  script: "echo quick-out; echo quick-err >&2; exit 7",
  chunks: textChunks(["stdout", "quick-out\n"], ["stderr", "quick-err\n"]),
  exit: 7,
};

/** A longer command printing lines on both streams. */
export const LINES: Program = (() => {
  const parts: [Chunk["stream"], string][] = [];
  for (let i = 0; i < 40; i++) parts.push(["stdout", `line ${i} of the output\n`]);
  parts.push(["stderr", "warn 1\n"], ["stderr", "warn 2\n"]);
  return {
    script: 'i=0; while [ $i -lt 40 ]; do echo "line $i of the output"; i=$((i+1)); done; ' +
      "echo 'warn 1' >&2; echo 'warn 2' >&2; exit 7",
    chunks: textChunks(...parts),
    exit: 7,
  };
})();

/** About 2 MB, interleaved on stdout and stderr (1000 lines of ~1 KB on each). */
export const BIG: Program = (() => {
  const pad = randomText(14, 1000);
  const chunks: Chunk[] = [];
  for (let i = 0; i < 1000; i++) {
    chunks.push({ stream: "stdout", bytes: encoder.encode(`out ${i} ${pad}\n`) });
    chunks.push({ stream: "stderr", bytes: encoder.encode(`err ${i} ${pad}\n`) });
  }
  return {
    script: `i=0; while [ $i -lt 1000 ]; do echo "out $i ${pad}"; echo "err $i ${pad}" >&2; ` +
      "i=$((i+1)); done; exit 3",
    chunks,
    exit: 3,
  };
})();

/** A RUN that fails with exit 3 after printing on both streams. */
export const FAILING_RUN: Program = {
  script: "echo build-out; echo build-err >&2; exit 3",
  chunks: textChunks(["stdout", "build-out\n"], ["stderr", "build-err\n"]),
  exit: 3,
};

export const PROGRAMS = [QUICK, LINES, BIG, FAILING_RUN];

/** -T for every run of the matrix: the record keeps all of BIG. */
export const TRUNCATE_AT = 4 * 1024 * 1024;

export function isEvents(request: ProxiedRequest): boolean {
  return request.method === "GET" && request.path.endsWith("/events");
}

export function isRecord(request: ProxiedRequest): boolean {
  return request.method === "GET" && /^\/v1\/operations\/[^/]+$/.test(request.path);
}

/** A 5xx (or other status) answer, as an API would give it. */
export function status(code: number, retryAfter?: number): Fault {
  return {
    status: code,
    headers: retryAfter === undefined ? undefined : { "retry-after": String(retryAfter) },
    json: { error: `injected ${code}`, status: code },
  };
}

/** Connection i of the events route gets `faults(i)`; everything else passes. */
function onEvents(faults: (connection: number) => Fault): FaultPlan {
  let connection = 0;
  return (request) => (isEvents(request) ? faults(connection++) : PASS);
}

/** The first `n` connections get `fault`, later ones pass. */
function firstEvents(n: number, fault: (i: number) => Fault): FaultPlan {
  return onEvents((i) => (i < n ? fault(i) : PASS));
}

/** Passes frames until one matching `last` (included), then ends the stream cleanly. */
function endAfterFrame(last: (type: string | undefined) => boolean): Fault {
  let ended = false;
  return {
    frames: (frame) => {
      if (ended) return null;
      if (last(frameType(frame))) ended = true;
      return [frame];
    },
  };
}

const isOutput = (type: string | undefined) => type === "stdout" || type === "stderr";

const JUNK = [
  "data: {not json\n\n",
  "event: stdout\ndata: [1, 2, 3]\n\n",
  'data: "a string"\n\n',
  "data: {}\n\n",
  "id: x\r\nevent: nothing\r\ndata: \u0000\u00ff\u00fe\n\n",
];

export interface FaultRow {
  name: string;
  program: Program;
  /** Starred: also build, op wait and session wait. */
  waits?: boolean;
  /** A fresh plan (rows keep per-connection state). */
  plan(): FaultPlan;
  /** Proves the fault happened. */
  verify?(proxy: FaultProxy): void;
}

function resets(times: number, kind: "resetAfter" | "endAfter", seed: number): FaultRow {
  const random = prng(seed);
  const positions = Array.from({ length: times }, () => 100 + Math.floor(random() * 2900));
  const name = kind === "resetAfter"
    ? `connection reset inside a gzip frame ${times}× at seeded positions, 2 MB interleaved`
    : `a truncated gzip body ${times}× at seeded positions, 2 MB interleaved`;
  return {
    name,
    program: BIG,
    plan: () =>
      firstEvents(
        times,
        (i) => (kind === "resetAfter" ? { resetAfter: positions[i] } : { endAfter: positions[i] }),
      ),
    // Three drain passes in a row without progress hand over to the record, so later planned
    // cuts may never be needed; the output must be complete either way.
    verify: (proxy) => assert(proxy.cuts >= Math.min(times, 3), `${proxy.cuts} cuts happened`),
  };
}

export const ROWS: FaultRow[] = [
  {
    name: "/events 5xx on connect",
    program: LINES,
    waits: true,
    plan: () => firstEvents(3, () => status(503)),
  },
  {
    name: "/events 5xx after some output",
    program: LINES,
    waits: true,
    plan: () => onEvents((i) => (i === 0 ? endAfterFrame(isOutput) : i <= 3 ? status(502) : PASS)),
  },
  {
    name: "/events 5xx after the exit event",
    program: LINES,
    waits: true,
    plan: () => onEvents((i) => (i === 0 ? endAfterFrame((type) => type === "exit") : status(503))),
  },
  {
    name: "/events 5xx always",
    program: QUICK,
    waits: true,
    plan: () => onEvents(() => status(503)),
  },
  {
    name: "/events 404 (polling fallback)",
    program: LINES,
    plan: () => onEvents(() => status(404)),
  },
  {
    name: "/events 405 (polling fallback)",
    program: QUICK,
    plan: () => onEvents(() => status(405)),
  },
  ...[410, 425, 429].map((code): FaultRow => ({
    name: `/events ${code} with Retry-After`,
    program: LINES,
    plan: () => firstEvents(1, () => status(code, 1)),
    verify: (proxy) => assertEquals(proxy.faultsApplied, 1),
  })),
  resets(1, "resetAfter", 1),
  resets(3, "resetAfter", 3),
  resets(10, "resetAfter", 10),
  resets(3, "endAfter", 33),
  {
    name: "a stream of keepalive comments that closes, repeatedly",
    program: LINES,
    plan: () => firstEvents(5, () => ({ stream: [": keepalive\n\n", ": keepalive\n\n"] })),
  },
  {
    name: "junk frames",
    program: LINES,
    plan: () =>
      onEvents((i) => {
        if (i < JUNK.length) return { stream: [": keepalive\n\n", JUNK[i]] };
        if (i === JUNK.length) {
          // Junk in the middle of a real stream, after its first output frame.
          let injected = false;
          return {
            frames: (frame) => {
              if (injected || !isOutput(frameType(frame))) return [frame];
              injected = true;
              return [frame, JUNK[0].trimEnd()];
            },
          };
        }
        return PASS;
      }),
  },
  {
    name: "GET /operations/{uuid} 5xx during the fallback",
    program: QUICK,
    waits: true,
    plan: () => {
      let records = 0;
      return (request) => {
        if (isEvents(request)) return status(404);
        if (isRecord(request) && records++ < 4) return status(503);
        return PASS;
      };
    },
    verify: (proxy) => assert(proxy.faultsApplied >= 4),
  },
  {
    name: "a log that ends after `exit` without `completion`",
    program: LINES,
    plan: () =>
      onEvents(() => ({ frames: (frame) => frameType(frame) === "completion" ? null : [frame] })),
  },
  {
    name: "a log without output frames whose record holds the output",
    program: LINES,
    plan: () => onEvents(() => ({ frames: (frame) => isOutput(frameType(frame)) ? [] : [frame] })),
  },
];

export interface MatrixBackend {
  name: string;
  /** Where the proxy forwards to. */
  upstream: { hostname: string; port: number };
  token: string;
  /** The base image (a UUID) for `--use` and FROM. */
  image: string;
  home: string;
  /** A directory for build contexts. */
  scratch: string;
}

function cliEnv(backend: MatrixBackend, proxy: FaultProxy, session: string) {
  return {
    CONTREE_HOME: backend.home,
    CONTREE_URL: proxy.url,
    CONTREE_TOKEN: backend.token,
    CONTREE_SESSION: session,
  };
}

/** One checked command of a row; throws with the row's name on a mismatch. */
type Check = (backend: MatrixBackend, row: FaultRow, index: number) => Promise<void>;

async function withProxy(
  backend: MatrixBackend,
  plan: FaultPlan,
  fn: (proxy: FaultProxy) => Promise<void>,
): Promise<void> {
  const proxy = new FaultProxy(backend.upstream, plan);
  try {
    await fn(proxy);
  } finally {
    await proxy.close();
  }
}

export const checkRun: Check = (backend, row, index) =>
  withProxy(backend, row.plan(), async (proxy) => {
    const result = await runCli([
      "run",
      "-D",
      "--use",
      backend.image,
      "-T",
      String(TRUNCATE_AT),
      "--",
      "sh",
      "-c",
      row.program.script,
    ], { env: cliEnv(backend, proxy, `run-${index}`) });
    assertEquals(result.stdout, streamText(row.program, "stdout"), "stdout");
    assertEquals(result.stderr, streamText(row.program, "stderr"), "stderr");
    assertEquals(result.code, row.program.exit, "exit status");
    row.verify?.(proxy);
  });

/**
 * Output lost beyond recovery: the record keeps only `-T 100` bytes of stdout and the stream
 * never delivered the `truncated` event (every connection answers 503): the first 100 bytes,
 * then one warning naming the stream and the byte count.
 */
export const checkLostOutput: Check = (backend) =>
  withProxy(backend, onEvents(() => status(503)), async (proxy) => {
    const result = await runCli(
      ["run", "-D", "--use", backend.image, "-T", "100", "--", "sh", "-c", LINES.script],
      { env: cliEnv(backend, proxy, "lost-output") },
    );
    assertEquals(result.stdout, streamText(LINES, "stdout").slice(0, 100), "stdout");
    assertEquals(
      result.stderr,
      "[WARNING] stdout truncated: only the first 100 bytes were kept; the rest is lost " +
        `(raise -T/--truncate)\n${streamText(LINES, "stderr")}`,
      "stderr",
    );
    assertEquals(result.code, LINES.exit, "exit status");
  });

/** A build context whose RUN fails with exit 3. */
export async function failingBuildContext(backend: MatrixBackend, name: string): Promise<string> {
  const dir = `${backend.scratch}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/Dockerfile`,
    `FROM ${backend.image}\nRUN ${FAILING_RUN.script}\n`,
  );
  return dir;
}

export async function build(backend: MatrixBackend, plan: FaultPlan, context: string) {
  let result!: Awaited<ReturnType<typeof runCli>>;
  await withProxy(backend, plan, async (proxy) => {
    result = await runCli(["build", "--no-cache", context], {
      env: cliEnv(backend, proxy, "build"),
    });
  });
  return result;
}

/** The failing build without faults: the reference the faulted builds must equal. */
export async function cleanBuild(backend: MatrixBackend, context: string) {
  const clean = await build(backend, () => PASS, context);
  assertEquals(clean.code, FAILING_RUN.exit, clean.stderr);
  assertStringIncludes(clean.stdout, "build-out\n");
  assertStringIncludes(clean.stderr, "build-err\n");
  assertStringIncludes(clean.stderr, "Dockerfile:2");
  assertStringIncludes(clean.stderr, "exit code 3");
  return clean;
}

export function checkBuild(reference: { stdout: string; stderr: string; code: number }): Check {
  return async (backend, row, index) => {
    // A context of its own: concurrent builds never share a build session.
    const context = await failingBuildContext(backend, `build-${index}`);
    const result = await build(backend, row.plan(), context);
    assertEquals(result.stdout, reference.stdout, "build stdout");
    assertEquals(result.stderr, reference.stderr, "build stderr");
    assertEquals(result.code, reference.code, "build exit status");
  };
}

/**
 * `run -d` through the proxy, then `op wait` and `session wait` on it through the same faults
 * (the session's pending operation is the detached run): each prints its row, nothing on
 * stderr but session wait's own line, and exits with the sandbox's code.
 */
export const checkWaits: Check = (backend, row, index) =>
  withProxy(backend, row.plan(), async (proxy) => {
    const env = cliEnv(backend, proxy, `wait-${index}`);
    const detached = await runCli([
      "-f",
      "json",
      "run",
      "-d",
      "-D",
      "--use",
      backend.image,
      "--",
      "sh",
      "-c",
      QUICK.script,
    ], { env });
    assertEquals(detached.code, 0, detached.stderr);
    const uuid = JSON.parse(detached.stdout).uuid as string;
    for (const args of [["op", "wait", uuid], ["session", "wait"]]) {
      const waited = await runCli(["-f", "json", ...args], { env });
      const what = args.slice(0, 2).join(" ");
      // session wait says what it waits for, and reports a non-zero exit as FAILED (reference).
      const session = args[0] === "session";
      assertEquals(
        waited.stderr,
        session ? "[INFO] Waiting for 1 operations...\n" : "",
        `${what}: stderr`,
      );
      assertEquals(waited.code, QUICK.exit, `${what}: exit status`);
      const line = JSON.parse(waited.stdout);
      assertEquals(
        [line.uuid, line.status, line.exit_code],
        [uuid, session && QUICK.exit !== 0 ? "FAILED" : "SUCCESS", QUICK.exit],
        `${what}: row`,
      );
    }
  });

/**
 * Runs every row's checks (`run` for all, `build`/`op wait`/`session wait` for the starred),
 * `width` at a time; every failure is reported, not only the first.
 */
export async function runMatrix(backend: MatrixBackend, width: number): Promise<void> {
  const reference = await cleanBuild(backend, await failingBuildContext(backend, "clean"));
  const buildCheck = checkBuild(reference);
  const jobs: { label: string; run: () => Promise<void> }[] = [
    { label: "run: output lost beyond recovery", run: () => checkLostOutput(backend, ROWS[0], 0) },
  ];
  ROWS.forEach((row, index) => {
    jobs.push({ label: `run: ${row.name}`, run: () => checkRun(backend, row, index) });
    if (!row.waits) return;
    jobs.push({ label: `build: ${row.name}`, run: () => buildCheck(backend, row, index) });
    jobs.push({
      label: `op/session wait: ${row.name}`,
      run: () => checkWaits(backend, row, index),
    });
  });
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        await job.run();
      } catch (error) {
        failures.push(`${backend.name} ${job.label}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  if (failures.length > 0) {
    throw new Error(
      `${failures.length} of ${jobs.length} checks failed:\n${failures.join("\n\n")}`,
    );
  }
}
