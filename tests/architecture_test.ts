// The architecture guard (issue 13 §4): the real import graph keeps the layer map, and each rule
// reports a planted violation as one `rule: from -> to` line naming the files.
//
//   cli-private   only main.ts and src/cli/ import src/cli/
//   layer         src/*.ts (the leaves), src/tar, src/output, src/api, src/sse import only their
//                 own folder, the leaves, node:, npm: and the folders ALLOWED_IMPORTS lists
//   podman-spawn  no src file but src/podman.ts starts podman
//   vendored      only src/deps.ts imports src/vendor/, which imports nothing of ours outside its
//                 own folder (its inner cycles are its authors' and not checked)
//   cycle         no import cycle among project files, type-only imports included; "(type-only)"
//                 marks a step whose import is type-only

import {
  ALLOWED_IMPORTS,
  checkLayers,
  formatViolation,
  type Graph,
  projectFiles,
  readImportGraph,
  spawnSites,
} from "./support/architecture.ts";
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

let real: Promise<Graph> | undefined;
/** The repository's graph, read once for the tests that need it. */
const realGraph = () => real ??= readImportGraph(ROOT);

Deno.test("architecture: the graph covers main.ts and every file under src/ and scripts/", async () => {
  const graph = await realGraph();
  const missing = (await projectFiles(ROOT)).filter((file) => !graph.files.includes(file));
  assertEquals(missing, []);
  assert(graph.files.includes("main.ts"));
  assert(graph.files.some((file) => file.startsWith("src/cli/")));
});

Deno.test("architecture: the real tree keeps the layer map", async () => {
  const lines = checkLayers(await realGraph()).map(formatViolation);
  assert(lines.length === 0, `${lines.length} architecture violations:\n${lines.join("\n")}\n`);
});

// --- The reader, on a small project in a temporary directory -----------------------------------

Deno.test("architecture: the reader sees dynamic, type-only and unreachable files", async () => {
  const root = await Deno.makeTempDir({ prefix: "contree-arch-" });
  try {
    const files: Record<string, string> = {
      "main.ts": 'import { main } from "./src/cli/main.ts";\nawait main();\n',
      "src/cli/main.ts": 'export async function main() {\n  await import("../a/x.ts");\n}\n',
      "src/a/x.ts": 'import type { Y } from "./y.ts";\nexport const x: Y = 1;\n',
      "src/a/y.ts": 'export type { Z as Y } from "./z.ts";\n',
      "src/a/z.ts": 'import "node:fs";\nexport type Z = number;\n',
      "src/orphan.ts": 'import { x } from "./a/x.ts";\nexport const o = x;\n',
      "scripts/tool.ts": 'import { o } from "../src/orphan.ts";\nconsole.log(o);\n',
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/") + 1)}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${path}`, text);
    }
    const graph = await readImportGraph(root);
    assertEquals(graph.files, Object.keys(files).sort());
    const edges = graph.edges.map((e) =>
      `${e.from} -> ${e.to}${e.dynamic ? " dynamic" : ""}${e.typeOnly ? " type" : ""}`
    ).sort();
    assertEquals(edges, [
      "main.ts -> src/cli/main.ts",
      "scripts/tool.ts -> src/orphan.ts",
      "src/a/x.ts -> src/a/y.ts type",
      "src/a/y.ts -> src/a/z.ts type",
      "src/a/z.ts -> node:fs",
      "src/cli/main.ts -> src/a/x.ts dynamic",
      "src/orphan.ts -> src/a/x.ts",
    ]);
    assertEquals(graph.sources["src/a/y.ts"], files["src/a/y.ts"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// --- The rules, on hand-made graphs -----------------------------------------------------------

/** A graph from `file -> imports`; an import written "type path" is type-only. */
function graph(imports: Record<string, string[]>, sources: Record<string, string> = {}): Graph {
  const files = new Set([...Object.keys(imports), ...Object.keys(sources)]);
  const edges = Object.entries(imports).flatMap(([from, targets]) =>
    targets.map((target) => {
      const typeOnly = target.startsWith("type ");
      const to = typeOnly ? target.slice(5) : target;
      if (!/^[a-z]+:/.test(to)) files.add(to);
      return { from, to, typeOnly, dynamic: false };
    })
  );
  return { files: [...files].sort(), edges, sources };
}

function report(g: Graph): string[] {
  return checkLayers(g).map(formatViolation);
}

Deno.test("architecture: a clean layered graph has no violations", () => {
  assertEquals(
    report(graph({
      "main.ts": ["src/cli/main.ts", "src/context.ts"],
      "src/cli/main.ts": ["src/cli/app.ts", "src/session/open.ts", "npm:commander@1"],
      "src/cli/app.ts": ["type src/context.ts"],
      "src/session/open.ts": ["src/api/client.ts", "src/sse/follow.ts", "src/output/mod.ts"],
      "src/sse/follow.ts": ["src/api/client.ts", "src/sse/frames.ts", "src/errors.ts"],
      "src/api/client.ts": ["src/api/errors.ts", "src/errors.ts", "node:crypto", "npm:x@1"],
      "src/output/mod.ts": ["src/output/table.ts", "src/style.ts"],
      "src/tar/read.ts": ["src/bytes.ts"],
      "src/context.ts": ["src/io.ts", "node:process"],
      "src/podman.ts": ["src/errors.ts"],
    }, {
      "src/podman.ts": 'const child = new Deno.Command("podman", { args }).spawn();\n',
    })),
    [],
  );
});

Deno.test("architecture: cli-private: a src/session file importing src/cli/app.ts", () => {
  assertEquals(
    report(graph({
      "main.ts": ["src/cli/main.ts"],
      "src/cli/main.ts": ["src/cli/app.ts", "src/session/cd_cmd.ts"],
      "src/session/cd_cmd.ts": ["type src/cli/app.ts"],
    })),
    ["cli-private: src/session/cd_cmd.ts -> src/cli/app.ts"],
  );
});

Deno.test("architecture: layer: src/api importing src/session, or anything but its table row", () => {
  assertEquals(
    report(graph({
      "src/api/upload.ts": ["src/session/paths.ts", "src/api/models.ts", "node:crypto"],
      "src/api/client.ts": ["src/sse/frames.ts", "jsr:@std/assert"],
      "src/sse/follow.ts": ["src/api/client.ts", "src/output/mod.ts"],
      "src/output/mod.ts": ["src/docker/parse.ts"],
      "src/tar/read.ts": ["src/server/store.ts"],
      "src/style.ts": ["src/config/profiles.ts", "src/errors.ts"],
    })),
    [
      "layer: src/api/upload.ts -> src/session/paths.ts",
      "layer: src/api/client.ts -> src/sse/frames.ts",
      "layer: src/api/client.ts -> jsr:@std/assert",
      "layer: src/sse/follow.ts -> src/output/mod.ts",
      "layer: src/output/mod.ts -> src/docker/parse.ts",
      "layer: src/tar/read.ts -> src/server/store.ts",
      "layer: src/style.ts -> src/config/profiles.ts",
    ],
  );
  assertEquals(ALLOWED_IMPORTS["src/sse"], ["src/api"]);
  assertEquals(ALLOWED_IMPORTS["src/api"], []);
});

Deno.test("architecture: podman-spawn: a src/server file spawning podman", () => {
  const sources = {
    "src/server/podman.ts": [
      "export class Podman {",
      '  readonly binary = "podman";',
      "  spawn(args: string[]) {",
      "    return new Deno.Command(this.binary, { args }).spawn();",
      "  }",
      "}",
    ].join("\n"),
    "src/tasks/run.ts": 'await new Deno.Command("/usr/bin/podman", { args: ["ps"] }).output();\n',
    "src/tasks/files.ts": [
      'import { spawn } from "node:child_process";',
      'const binary = Deno.env.get("PODMAN") ?? "podman";',
      'export const logs = () => spawn(binary, ["logs"]);',
    ].join("\n"),
    // Not podman: the detached server (deno itself), git, an editor; podman's own module.
    "src/server/control.ts":
      "// starts the podman-backed server\nnew Deno.Command(Deno.execPath(), { args });\n",
    "src/version.ts": 'new Deno.Command("git", { args: ["describe"] });\n',
    "src/session/file_cmd.ts":
      "// an editor, never podman\nawait new Deno.Command(argv[0], { args: argv.slice(1) }).spawn();\n",
    "src/podman.ts": 'new Deno.Command("podman", { args });\n',
  };
  assertEquals(report(graph({}, sources)), [
    "podman-spawn: src/server/podman.ts -> podman (line 4)",
    "podman-spawn: src/tasks/files.ts -> podman (line 3)",
    "podman-spawn: src/tasks/run.ts -> podman (line 1)",
  ]);
  assertEquals(spawnSites(sources["src/server/control.ts"]), [
    { line: 2, command: "Deno.execPath()" },
  ]);
});

Deno.test("architecture: vendored: only src/deps.ts imports src/vendor, which imports only itself", () => {
  assertEquals(
    report(graph({
      "src/deps.ts": ["src/vendor/commander/index.js"],
      "src/vendor/commander/index.js": ["src/vendor/commander/lib/command.js"],
      "src/vendor/commander/lib/command.js": [
        "src/vendor/commander/lib/help.js",
        "src/vendor/commander/node.ts",
      ],
      "src/vendor/commander/lib/help.js": ["type src/vendor/commander/lib/command.js"],
      "src/cli/root.ts": ["src/deps.ts", "src/vendor/commander/lib/option.js"],
      "src/api/client.ts": ["src/vendor/commander/index.js"],
      "src/vendor/commander/node.ts": ["src/errors.ts", "node:process"],
    })),
    [
      "vendored: src/cli/root.ts -> src/vendor/commander/lib/option.js",
      "vendored: src/api/client.ts -> src/vendor/commander/index.js",
      "vendored: src/vendor/commander/node.ts -> src/errors.ts",
    ],
  );
});

Deno.test("architecture: cycle: two files importing each other", () => {
  assertEquals(
    report(graph({
      "src/session/store.ts": ["src/session/cache.ts"],
      "src/session/cache.ts": ["src/session/store.ts", "src/errors.ts"],
    })),
    ["cycle: src/session/cache.ts -> src/session/store.ts -> src/session/cache.ts"],
  );
});

Deno.test("architecture: cycle: a type-only cycle counts, and names its type-only step", () => {
  assertEquals(
    report(graph({
      "src/context.ts": ["src/style.ts"],
      "src/style.ts": ["type src/context.ts"],
      "src/cli/program.ts": ["src/cli/run.ts", "src/cli/tag.ts"],
      "src/cli/run.ts": ["type src/cli/program.ts"],
      "src/cli/tag.ts": ["type src/cli/program.ts"],
    })),
    [
      "cycle: src/cli/program.ts -> src/cli/run.ts -> src/cli/program.ts (type-only); " +
      "strongly connected: src/cli/program.ts, src/cli/run.ts, src/cli/tag.ts",
      "cycle: src/context.ts -> src/style.ts -> src/context.ts (type-only)",
    ],
  );
});

Deno.test("architecture: no test module changes what the test process shares", async () => {
  // `deno test --parallel` runs modules as workers of one process: an environment variable,
  // the cwd or the umask set by one module is every module's (a TMPDIR set this way once put
  // other modules' homes in a directory that was then removed under them).
  const shared = new RegExp(String.raw`Deno\.(env\.(set|delete)|chdir|umask)\(`);
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${ROOT}/${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) {
        const lines = (await Deno.readTextFile(`${ROOT}/${path}`)).split("\n");
        lines.forEach((line, i) => shared.test(line) && found.push(`${path}:${i + 1}`));
      }
    }
  };
  await walk("tests");
  assertEquals(found, [], "set it in the subprocess's env or the context's instead");
});
