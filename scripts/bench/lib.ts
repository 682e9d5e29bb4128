// Shared pieces of the benchmarks: timing and peak RSS of subprocesses, medians, machine facts,
// contree/curl command lines, and the markdown report every bench prints.

import { parseArgs } from "node:util";
import { networkEnv } from "../child_env.ts";
import { COMPILE_PERMISSIONS } from "../permissions.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
/** The contree under test: this checkout, or another one's main.ts (before/after comparisons). */
export const MAIN = Deno.env.get("CONTREE_BENCH_MAIN") ?? `${ROOT}main.ts`;
export const CONTAINERS_CONF = `${ROOT}tests/podman/containers.conf`;

// ---- numbers ----

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, runs: [] };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: [...values] };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

// ---- subprocesses ----

export interface Measured {
  wallMs: number;
  /** Date.now() when the process had exited. */
  endedAt: number;
  /** Peak resident set size (kB) of the measured process. */
  peakRssKb?: number;
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

export interface MeasureOptions {
  env?: Record<string, string>;
  /** "null" sends stdout to /dev/null; "piped" keeps it in memory (Measured.stdout). */
  stdout?: "null" | "piped";
  cwd?: string;
}

const TIME_BIN = "/usr/bin/time";
let timeAvailable: boolean | undefined;

function hasTimeBinary(): boolean {
  if (timeAvailable === undefined) {
    try {
      timeAvailable = Deno.statSync(TIME_BIN).isFile;
    } catch {
      timeAvailable = false;
    }
  }
  return timeAvailable;
}

/** How peak RSS is measured (for the report). */
export function rssMethod(): string {
  return hasTimeBinary()
    ? "`/usr/bin/time -f %M` (maximum resident set size of the process)"
    : "VmHWM from /proc/<pid>/status, polled every 10 ms";
}

function readHwmKb(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `argv` once; wall time from spawn to exit, peak RSS by /usr/bin/time when installed
 * (its own fork adds ~1 ms), else by polling VmHWM.
 */
export async function measure(argv: readonly string[], options: MeasureOptions = {}): Promise<
  Measured
> {
  const useTime = hasTimeBinary();
  const rssFile = useTime ? await Deno.makeTempFile({ prefix: "contree-bench-rss-" }) : "";
  const full = useTime ? [TIME_BIN, "-f", "%M", "-o", rssFile, ...argv] : [...argv];
  const started = performance.now();
  const child = new Deno.Command(full[0], {
    args: full.slice(1),
    env: options.env,
    clearEnv: options.env !== undefined,
    cwd: options.cwd,
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: "piped",
  }).spawn();
  let peak: number | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  if (!useTime) {
    poller = setInterval(() => {
      const hwm = readHwmKb(child.pid);
      if (hwm !== undefined) peak = Math.max(peak ?? 0, hwm);
    }, 10);
  }
  const output = await child.output();
  const wallMs = performance.now() - started;
  const endedAt = Date.now();
  if (poller !== undefined) clearInterval(poller);
  if (useTime) {
    const lines = (await Deno.readTextFile(rssFile)).trim().split("\n");
    const value = Number(lines[lines.length - 1]);
    if (Number.isFinite(value)) peak = value;
    await Deno.remove(rssFile).catch(() => {});
  }
  return {
    wallMs,
    endedAt,
    peakRssKb: peak,
    code: output.code,
    stdout: options.stdout === "piped" ? output.stdout : new Uint8Array(),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Measures `runs` times (after `warmup` unmeasured runs); fails on a non-zero exit. */
export async function measureRuns(
  label: string,
  argv: readonly string[],
  runs: number,
  options: MeasureOptions & { warmup?: number } = {},
): Promise<Measured[]> {
  for (let i = 0; i < (options.warmup ?? 1); i++) await checked(label, argv, options);
  const results: Measured[] = [];
  for (let i = 0; i < runs; i++) results.push(await checked(label, argv, options));
  return results;
}

export async function checked(
  label: string,
  argv: readonly string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  const result = await measure(argv, options);
  if (result.code !== 0) {
    throw new Error(`${label} exited ${result.code}: ${result.stderr.trim().slice(0, 500)}`);
  }
  return result;
}

/** `deno run` with the compiled binary's permissions: contree from source. */
export function contreeArgv(args: readonly string[]): string[] {
  return [Deno.execPath(), "run", ...COMPILE_PERMISSIONS, "--quiet", MAIN, ...args];
}

/** The environment contree runs with in benches: PATH, HOME, a bench CONTREE_HOME, no colour. */
export function contreeEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ...networkEnv(),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    CONTREE_NO_UPDATE_CHECK: "1",
    CONTAINERS_CONF,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return { ...env, ...extra };
}

/**
 * How the local server's users reach it: the `local` profile, which `contree server start`
 * writes (the client then asks it for long bodies uncompressed: src/api/client.ts, `local`).
 * Benches of the local server add it to their environment; benches of the client against a
 * replay server do not, and measure the path a remote server's bodies take.
 */
export const LOCAL_PROFILE_ENV = { CONTREE_PROFILE: "local" } as const;

/** contree's environment against a bench server: its own home, and a session key. */
export function serverEnv(
  home: string,
  server: { url: string; token: string },
  session?: string,
): Record<string, string> {
  const env: Record<string, string> = {
    CONTREE_HOME: home,
    CONTREE_URL: server.url,
    CONTREE_TOKEN: server.token,
  };
  if (session !== undefined) env.CONTREE_SESSION = session;
  return contreeEnv(env);
}

/** curl taking a body with gzip, as quietly as it goes, to /dev/null (`extra` after --compressed). */
export function curlDownload(url: string, token: string, extra: string[] = []): string[] {
  return [
    "curl",
    "--compressed",
    ...extra,
    "-s",
    "-f",
    "-o",
    "/dev/null",
    "-H",
    `Authorization: Bearer ${token}`,
    url,
  ];
}

/** A command line as one would type it (for the report). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((arg) => {
    if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
    // Placeholders such as $TOKEN stay expandable.
    if (arg.includes("$") && !/["\\`]/.test(arg)) return `"${arg}"`;
    return `'${arg.replace(/'/g, `'\\''`)}'`;
  }).join(" ");
}

/** The readable form of a contree command line (the deno prefix shortened). */
export function contreeLine(args: readonly string[]): string {
  return shellLine(["deno", "run", ...COMPILE_PERMISSIONS, "--quiet", "main.ts", ...args]);
}

export async function commandText(argv: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "null",
      env: { CONTAINERS_CONF },
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

// ---- machine ----

export interface MachineFacts {
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  deno: string;
  podman: string;
  curl: string;
  loadAverage: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? NaN);
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3);
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memory: Number.isFinite(memKb) ? `${round(memKb / 1024 / 1024, 1)} GiB` : "unknown",
    kernel: Deno.osRelease(),
    deno:
      `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    podman: await commandText(["podman", "--version"]) ?? "not available",
    curl: (await commandText(["curl", "--version"]))?.split("\n")[0] ?? "not available",
    loadAverage: load.join(" "),
  };
}

export function renderFacts(facts: MachineFacts): string {
  return [
    "| machine | |",
    "| --- | --- |",
    `| CPU | ${facts.cpu}, ${facts.cores} cores |`,
    `| memory | ${facts.memory} |`,
    `| kernel | ${facts.kernel} |`,
    `| deno | ${facts.deno} |`,
    `| podman | ${facts.podman} |`,
    `| curl | ${facts.curl} |`,
    `| load average at start | ${facts.loadAverage} |`,
  ].join("\n");
}

// ---- reports ----

export interface Row {
  subject: string;
  metric: string;
  unit: string;
  stats: Stats;
}

export interface Goal {
  what: string;
  /** e.g. "0.93" or "1.08×" */
  value: string;
  goal: string;
  /** Undefined for an informational ratio without a goal. */
  met?: boolean;
}

export interface BenchReport {
  name: string;
  title: string;
  commands: string[];
  rows: Row[];
  goals: Goal[];
  notes: string[];
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  return String(abs >= 100 ? Math.round(value) : abs >= 10 ? round(value, 1) : round(value, 3));
}

export function renderReport(report: BenchReport): string {
  const lines = [`### ${report.title}`, "", "Commands:", ""];
  for (const command of report.commands) lines.push(`    ${command}`);
  lines.push(
    "",
    "| subject | metric | median | min | max | runs |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  );
  for (const row of report.rows) {
    lines.push(
      `| ${row.subject} | ${row.metric} (${row.unit}) | ${formatNumber(row.stats.median)} | ${
        formatNumber(row.stats.min)
      } | ${formatNumber(row.stats.max)} | ${row.stats.runs.length} |`,
    );
  }
  if (report.goals.length > 0) {
    lines.push("", "| ratio | value | goal | met |", "| --- | ---: | --- | --- |");
    for (const goal of report.goals) {
      const met = goal.met === undefined ? "—" : goal.met ? "yes" : "**no**";
      lines.push(`| ${goal.what} | ${goal.value} | ${goal.goal} | ${met} |`);
    }
  }
  if (report.notes.length > 0) {
    lines.push("");
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return lines.join("\n");
}

// ---- flags ----

/** Parses `--name value` flags of a bench: `--help` prints `usage`, an unknown flag is exit 2. */
export function benchFlags<T extends Record<string, number | string | boolean>>(
  args: string[],
  defaults: T,
  usage = `flags: ${
    Object.entries(defaults).map(([name, value]) => `--${name} (default ${value})`).join(", ")
  }`,
): T {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, value] of Object.entries(defaults)) {
    options[name] = { type: typeof value === "boolean" ? "boolean" : "string" };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(usage);
    Deno.exit(0);
  }
  delete values.help;
  const result: Record<string, number | string | boolean> = { ...defaults };
  for (const [name, value] of Object.entries(values)) {
    const fallback = defaults[name];
    if (typeof fallback === "number") {
      const parsed = Number(value);
      if (!Number.isFinite(parsed)) throw new Error(`--${name} needs a number, got ${value}`);
      result[name] = parsed;
    } else result[name] = value as string | boolean;
  }
  return result as T;
}

/** Entry point of a single bench: flags → run → markdown on stdout. */
export async function benchMain<T extends Record<string, number | string | boolean>>(
  defaults: T,
  run: (options: T) => Promise<BenchReport>,
): Promise<void> {
  const options = benchFlags(Deno.args, defaults);
  const facts = await machineFacts();
  const report = await run(options);
  console.log(`${renderFacts(facts)}\n\n${renderReport(report)}`);
}

// ---- helpers for benches ----

/** A temporary directory removed by `using`/`remove()`. */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, remove: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

export function mb(bytes: number): number {
  return bytes / 1_000_000;
}
