// `deno task test:unit`: the tests that need neither podman nor a contree/deno subprocess, for a
// fast edit-test loop. Files are classified by what they contain, so a new test is sorted
// automatically: it is heavy when it uses real podman through tests/support/podman.ts, when it or
// a module it imports from tests/ or scripts/ runs podman or the CLI helpers of
// tests/support/cli.ts, or when the test file itself starts Deno.execPath() (deno or a compiled
// contree); code counts, text in strings and comments does not. Anything else
// runs. The check is per module, so importing a constant from a helper module that also runs the
// CLI makes a test heavy: conservative, never the other way. `--list` prints the classification;
// other arguments go to `deno test` (e.g. `deno task test:unit --filter session`).

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

interface Marker {
  pattern: RegExp;
  reason: string;
  /** "imports": in the test file or any tests/ or scripts/ module it imports; "file": itself. */
  scope: "imports" | "file";
}

/** What makes a test heavy. */
export const HEAVY: readonly Marker[] = [
  { pattern: /new Deno\.Command\(\s*["'`]podman\b/, reason: "runs podman", scope: "imports" },
  {
    pattern: /\b(?:podmanTest|podmanUnavailable|podmanSkipReason|ensureBusyboxImage|testPodman)\b/,
    reason: "needs real podman (tests/support/podman.ts)",
    scope: "file",
  },
  {
    pattern: /\b(?:runCli|spawnCli)\b/,
    reason: "runs the contree CLI as a subprocess (tests/support/cli.ts)",
    scope: "imports",
  },
  {
    pattern: /\bDeno\.execPath\(\s*\)/,
    reason: "starts deno or a compiled contree itself",
    scope: "file",
  },
];

const TEST_FILE = /(?:^|[_.])test\.[mc]?[jt]sx?$/;
/** Static imports and re-exports (at the start of a line), side-effect imports, import(). */
const IMPORT =
  /^\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/gm;

/** Whether `pattern` matches in code, not in a comment or a string that opens on its line. */
export function inCode(pattern: RegExp, text: string): boolean {
  for (const m of text.matchAll(new RegExp(pattern.source, "g"))) {
    const before = text.slice(text.lastIndexOf("\n", m.index) + 1, m.index).replace(/\\./g, "");
    let quote: string | undefined;
    for (const c of before) {
      if (quote === undefined && (c === '"' || c === "'" || c === "`")) quote = c;
      else if (c === quote) quote = undefined;
    }
    if (quote === undefined && !/^\s*(\/\/|\*)/.test(before)) return true;
  }
  return false;
}

async function testFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await testFiles(path));
    else if (entry.isFile && TEST_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

/** The test file and the tests/ and scripts/ modules it imports, transitively (absolute paths). */
async function localClosure(file: string, texts: Map<string, string>): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [file];
  while (queue.length) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    if (!texts.has(path)) {
      try {
        texts.set(path, await Deno.readTextFile(path));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue; // deno test reports it
        throw error;
      }
    }
    for (const m of texts.get(path)!.matchAll(IMPORT)) {
      const specifier = m[1] ?? m[2] ?? m[3];
      if (!specifier.startsWith(".")) continue;
      const target = new URL(specifier, `file://${path}`).pathname;
      if (target.startsWith(`${ROOT}/tests/`) || target.startsWith(`${ROOT}/scripts/`)) {
        queue.push(target);
      }
    }
  }
  return [...seen];
}

export interface Classified {
  /** Relative to the repository, e.g. tests/output/formatters_test.ts. */
  file: string;
  /** Why the file is heavy; empty for a unit test. */
  reasons: string[];
}

export async function classifyTests(): Promise<Classified[]> {
  const texts = new Map<string, string>();
  const result: Classified[] = [];
  for (const file of (await testFiles(`${ROOT}/tests`)).sort()) {
    const closure = await localClosure(file, texts);
    const reasons = HEAVY.filter((marker) =>
      (marker.scope === "file" ? [file] : closure).some((p) =>
        inCode(marker.pattern, texts.get(p) ?? "")
      )
    ).map((marker) => marker.reason);
    result.push({ file: file.slice(ROOT.length + 1), reasons });
  }
  return result;
}

if (import.meta.main) {
  const tests = await classifyTests();
  const unit = tests.filter((t) => t.reasons.length === 0).map((t) => t.file);
  if (Deno.args.includes("--list")) {
    for (const t of tests) console.log(`${t.reasons.length ? "heavy" : "unit "}  ${t.file}`);
    for (const t of tests.filter((t) => t.reasons.length)) {
      console.log(`# ${t.file}: ${t.reasons.join("; ")}`);
    }
    Deno.exit(0);
  }
  console.error(`test:unit: ${unit.length} of ${tests.length} test files (--list shows why)`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", ...Deno.args, ...unit],
    cwd: ROOT,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}
