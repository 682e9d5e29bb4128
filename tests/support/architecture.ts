// The architecture guard (issue 13 §4): the project's real import graph, read with
// `deno info --json`, and the layer rules checked over it. Reading and checking are separate so
// the test can feed hand-made graphs with planted violations to the same checks.
//
// `deno info` resolves what the type checker resolves: static imports, `export … from`,
// `import type`/`export type` (reported as type dependencies) and literal dynamic `import()`
// (reported as dynamic). Files no root reaches are read as extra roots, so every file under
// src/ and scripts/ is in the graph. A template-literal `import(`./${name}.ts`)` stands for every
// file it may match; a specifier built by concatenation or held in a variable is invisible.

/** One import of one file: `to` is a project path ("src/log.ts") or a specifier ("node:fs"). */
export interface Edge {
  from: string;
  to: string;
  /** Only `import type` / `export type` / type positions: erased at run time. */
  typeOnly: boolean;
  /** A dynamic `import()`. */
  dynamic: boolean;
}

export interface Graph {
  /** Project paths relative to the root, "/"-separated: main.ts, src/**, scripts/**. */
  files: string[];
  edges: Edge[];
  /** Source text of the files, for the rules that read code (who spawns podman). */
  sources: Record<string, string>;
}

export interface Violation {
  rule: "cli-private" | "layer" | "podman-spawn" | "cycle" | "vendored";
  from: string;
  to: string;
}

/** One line: `rule: from -> to`. */
export function formatViolation(v: Violation): string {
  return `${v.rule}: ${v.from} -> ${v.to}`;
}

// --- The layer map ---------------------------------------------------------------------------

/** The ground floor: files directly in src/ (not in a subfolder), e.g. src/errors.ts. */
export function isLeaf(path: string): boolean {
  return /^src\/[^/]+\.ts$/.test(path);
}

/**
 * The constrained layers: folder → the other project folders it may import. Every layer may also
 * import its own folder, the leaves, `node:` and `npm:`; nothing else. "src" is the leaves
 * themselves (files directly in src/). Folders not listed are free, except for src/cli below.
 */
export const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  "src": [],
  "src/tar": [],
  "src/output": [],
  "src/api": [],
  "src/sse": ["src/api"],
};

/**
 * src/cli is the program's shell: only the entries (main.ts, and the startup bench's `ps` wired
 * by hand without the parser, which measures the same path) and src/cli itself import it.
 */
export const CLI = "src/cli";
export const CLI_IMPORTERS: readonly string[] = [
  "main.ts",
  "scripts/bench/fixtures/ps_without_parser.ts",
];

/**
 * Third-party code kept in the tree (src/vendor/*: docs/ARCHITECTURE.md, rule 5). Like an
 * npm: package it is reached only through src/deps.ts, imports nothing of ours but its own
 * folder, and its inner structure is its authors' (not checked for cycles).
 */
export const VENDOR = "src/vendor";
export const DEPS = "src/deps.ts";

export function isVendored(path: string): boolean {
  return path.startsWith(`${VENDOR}/`);
}

/** The one file that runs podman. */
export const PODMAN_RUNNER = "src/podman.ts";

/** The layer of a project path: "src" for a leaf, "src/<folder>" below src/, else undefined. */
export function layerOf(path: string): string | undefined {
  if (isLeaf(path)) return "src";
  const match = /^src\/([^/]+)\//.exec(path);
  return match ? `src/${match[1]}` : undefined;
}

function isProjectPath(to: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(to) && !to.startsWith("../");
}

// --- The checks ------------------------------------------------------------------------------

export function checkLayers(graph: Graph): Violation[] {
  return [
    ...checkCliPrivate(graph),
    ...checkAllowedImports(graph),
    ...checkPodmanSpawns(graph),
    ...checkVendored(graph),
    ...checkCycles(graph),
  ];
}

function uniqueEdges(graph: Graph): Edge[] {
  const seen = new Set<string>();
  return graph.edges.filter((e) => {
    const key = `${e.from}\0${e.to}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Anything outside src/cli (other than main.ts) importing a file in src/cli. */
export function checkCliPrivate(graph: Graph): Violation[] {
  return uniqueEdges(graph)
    .filter((e) => e.to.startsWith(`${CLI}/`) && !e.from.startsWith(`${CLI}/`))
    .filter((e) => !CLI_IMPORTERS.includes(e.from))
    .map((e) => ({ rule: "cli-private", from: e.from, to: e.to }));
}

/** src/vendor imported from anywhere but src/deps.ts, or importing a project file outside itself. */
export function checkVendored(graph: Graph): Violation[] {
  const folderOf = (path: string) => path.split("/").slice(0, 3).join("/");
  return uniqueEdges(graph).filter((e) =>
    isVendored(e.from)
      ? isProjectPath(e.to) && folderOf(e.to) !== folderOf(e.from)
      : isVendored(e.to) && e.from !== DEPS
  ).map((e) => ({ rule: "vendored", from: e.from, to: e.to }));
}

/** A constrained layer importing anything but itself, its allowed folders, leaves, node:, npm:. */
export function checkAllowedImports(graph: Graph): Violation[] {
  const violations: Violation[] = [];
  for (const e of uniqueEdges(graph)) {
    const layer = layerOf(e.from);
    if (layer === undefined || !(layer in ALLOWED_IMPORTS)) continue;
    // Vendored code counts as an npm: package here; checkVendored says who may import it.
    if (e.to.startsWith("node:") || e.to.startsWith("npm:") || isVendored(e.to)) continue;
    if (isProjectPath(e.to)) {
      const target = layerOf(e.to);
      if (target === "src" || target === layer) continue;
      if (target !== undefined && ALLOWED_IMPORTS[layer].includes(target)) continue;
    }
    violations.push({ rule: "layer", from: e.from, to: e.to });
  }
  return violations;
}

/**
 * Source text without comments, line numbers kept (a heuristic: "//" after a quote or a colon,
 * as in "https://…", is taken to be inside a string).
 */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ""))
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Where the code starts a process: the line and the command expression it starts. */
export interface SpawnSite {
  line: number;
  command: string;
}

/** The first argument of a call: `Deno.execPath()` or anything up to a comma or parenthesis. */
const FIRST_ARGUMENT = String.raw`\s*\(\s*(Deno\.execPath\(\s*\)|[^,)]+)`;
const DENO_COMMAND = new RegExp(String.raw`new\s+Deno\.Command` + FIRST_ARGUMENT, "g");
const CHILD_PROCESS_CALL = new RegExp(
  String.raw`(?:^|[^\w$.])(?:spawn|spawnSync|exec|execSync|execFile|execFileSync|fork)` +
    FIRST_ARGUMENT,
  "g",
);

export function spawnSites(source: string): SpawnSite[] {
  const code = stripComments(source);
  const lineAt = (index: number) => code.slice(0, index).split("\n").length;
  const sites: SpawnSite[] = [];
  for (const m of code.matchAll(DENO_COMMAND)) {
    sites.push({ line: lineAt(m.index), command: m[1].trim() });
  }
  const childProcess = /(?:\bfrom\s*|\bimport\s*\(\s*)["']node:child_process["']/.exec(code);
  if (childProcess) {
    const before = sites.length;
    for (const m of code.matchAll(CHILD_PROCESS_CALL)) {
      sites.push({ line: lineAt(m.index + m[0].search(/\w/)), command: m[1].trim() });
    }
    if (sites.length === before) {
      // child_process is used in a way we cannot see (an alias): treat the import as the site.
      sites.push({ line: lineAt(childProcess.index), command: "?" });
    }
  }
  return sites.sort((a, b) => a.line - b.line);
}

/**
 * Whether a spawn site may start podman. A string literal or `Deno.execPath()` names its
 * program, so only the literal "podman" counts; any other expression (a variable, a field) is
 * taken to be podman when the file's code mentions podman (comments and import paths aside).
 */
export function mayStartPodman(command: string, source: string): boolean {
  if (/^Deno\.execPath\(\s*\)$/.test(command)) return false;
  const literal = /^(["'`])([^"'`$]*)\1$/.exec(command);
  if (literal) return /(^|\/)podman$/.test(literal[2]);
  const code = stripComments(source)
    .replace(/\bfrom\s*(["'])[^"']*\1/g, "")
    .replace(/\bimport\s*\(\s*(["'])[^"']*\1\s*\)/g, "")
    .replace(/^\s*import\s*(["'])[^"']*\1/gm, "");
  return /podman/i.test(code);
}

/** A src file other than src/podman.ts that starts podman (one violation per file). */
export function checkPodmanSpawns(graph: Graph): Violation[] {
  const violations: Violation[] = [];
  for (const file of [...graph.files].sort()) {
    if (!file.startsWith("src/") || file === PODMAN_RUNNER) continue;
    const source = graph.sources[file];
    if (source === undefined) continue;
    const lines = spawnSites(source)
      .filter((site) => mayStartPodman(site.command, source))
      .map((site) => site.line);
    if (lines.length) {
      violations.push({
        rule: "podman-spawn",
        from: file,
        to: `podman (line${lines.length > 1 ? "s" : ""} ${lines.join(", ")})`,
      });
    }
  }
  return violations;
}

/** Strongly connected components of the project files (Tarjan), type-only edges included. */
export function stronglyConnected(graph: Graph): string[][] {
  const out = new Map<string, string[]>();
  for (const e of uniqueEdges(graph)) {
    if (!isProjectPath(e.to)) continue;
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e.to);
  }
  const nodes = [...new Set([...graph.files, ...out.keys()])].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of (out.get(v) ?? []).toSorted()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return components;
}

/** One shortest cycle through `start` inside `members` (breadth-first), as a path. */
function cycleThrough(start: string, members: Set<string>, graph: Graph): string[] {
  const next = (v: string) =>
    [...new Set(graph.edges.filter((e) => e.from === v && members.has(e.to)).map((e) => e.to))]
      .sort();
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of next(v)) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Files that import each other in a cycle: one violation per strongly connected component. */
export function checkCycles(graph: Graph): Violation[] {
  const violations: Violation[] = [];
  const selfLoops = new Set(graph.edges.filter((e) => e.from === e.to).map((e) => e.from));
  const ours = { ...graph, edges: graph.edges.filter((e) => !isVendored(e.from)) };
  for (const component of stronglyConnected(ours)) {
    if (component.length === 1 && !selfLoops.has(component[0])) continue;
    const path = cycleThrough(component[0], new Set(component), graph);
    const steps = path.slice(1).map((to, i) => {
      const from = path[i];
      const typeOnly = graph.edges.filter((e) => e.from === from && e.to === to)
        .every((e) => e.typeOnly);
      return typeOnly ? `${to} (type-only)` : to;
    });
    const rest = component.length > path.length - 1
      ? `; strongly connected: ${component.join(", ")}`
      : "";
    violations.push({ rule: "cycle", from: path[0], to: steps.join(" -> ") + rest });
  }
  return violations.sort((a, b) => a.from < b.from ? -1 : a.from > b.from ? 1 : 0);
}

// --- Reading the real graph ------------------------------------------------------------------

interface InfoDependency {
  specifier: string;
  code?: { specifier?: string };
  type?: { specifier?: string };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  local?: string;
  error?: string;
  dependencies?: InfoDependency[];
}

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await walk(path, root, out);
    else if (entry.isFile && /\.(ts|tsx|mts)$/.test(entry.name)) out.push(path.slice(root.length));
  }
}

/** Every TypeScript file of the project the guard covers: main.ts, src/**, scripts/**. */
export async function projectFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  try {
    if ((await Deno.stat(`${root}/main.ts`)).isFile) files.push("main.ts");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await walk(`${root}/src`, `${root}/`, files);
  await walk(`${root}/scripts`, `${root}/`, files);
  return files.sort();
}

async function denoInfo(root: string, file: string): Promise<InfoModule[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    // No npm or remote resolution: the guard needs only our own files, and must not need a
    // network or a warm npm cache.
    args: ["info", "--json", "--no-npm", "--no-remote", file],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info ${file} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)).modules;
}

/**
 * The import graph of the project at `root` (default: this repository): `deno info --json` from
 * main.ts, then from every file of src/ and scripts/ that was not reached yet.
 */
export async function readImportGraph(
  root = new URL("../..", import.meta.url).pathname.replace(/\/$/, ""),
): Promise<Graph> {
  const rootUrl = `file://${root}/`;
  const relative = (specifier: string) =>
    specifier.startsWith(rootUrl) ? decodeURIComponent(specifier.slice(rootUrl.length)) : specifier;
  const wanted = await projectFiles(root);
  const modules = new Map<string, InfoModule>();
  for (const file of wanted) {
    if (modules.has(file)) continue;
    for (const module of await denoInfo(root, file)) {
      const path = relative(module.specifier);
      if (!module.specifier.startsWith(rootUrl) || modules.has(path)) continue;
      if (module.error) throw new Error(`deno info cannot load ${path}: ${module.error}`);
      modules.set(path, module);
    }
  }
  const files = [...modules.keys()].filter((path) => !path.startsWith("tests/")).sort();
  const edges: Edge[] = [];
  const sources: Record<string, string> = {};
  for (const file of files) {
    const module = modules.get(file)!;
    sources[file] = await Deno.readTextFile(module.local ?? `${root}/${file}`);
    for (const dep of module.dependencies ?? []) {
      const code = dep.code?.specifier;
      const type = dep.type?.specifier;
      const dynamic = dep.isDynamic === true;
      if (code) edges.push({ from: file, to: relative(code), typeOnly: false, dynamic });
      if (type && type !== code) {
        edges.push({ from: file, to: relative(type), typeOnly: code === undefined, dynamic });
      }
      if (!code && !type) edges.push({ from: file, to: dep.specifier, typeOnly: false, dynamic });
    }
  }
  return { files, edges, sources };
}
