// `contree skill list|install|remove|upgrade`: every verb and SPEC form in a temporary home and
// project, through the command bodies with a hand-built port (real files, a real skills.db).

import { loadYaml } from "../../src/deps.ts";
import { DatabaseSync } from "node:sqlite";
import { ContreeError, Exit, UsageError } from "../../src/errors.ts";
import { createFormatter } from "../../src/output/mod.ts";
import {
  installedVersion,
  type SkillDeps,
  skillInstall,
  skillList,
  skillRemove,
  skillUpgrade,
} from "../../src/skill/commands.ts";
import { stampedVersion } from "../../src/skill/files.ts";
import { displayPath, KINDS, parseSpec, SPEC_FORMS } from "../../src/skill/layout.ts";
import { openSkillRegistry, type SkillRegistry } from "../../src/skill/registry.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { type TestContext, testContext } from "../support/context.ts";

interface World {
  root: string;
  home: string;
  project: string;
  db: string;
  ctx: TestContext;
  deps(options?: { version?: string; env?: Record<string, string>; stdin?: string }): SkillDeps;
  rows(): Record<string, unknown>[];
  exists(path: string): boolean;
  files(dir: string): string[];
}

const MANUAL = {
  title: "contree: the manual for coding agents",
  sections: [{ title: "Core workflow", body: "\n  contree run -- CMD\n" }],
};

async function withWorld(body: (world: World) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "contree-skill-" });
  const home = `${root}/home`;
  const project = `${root}/project`;
  await Deno.mkdir(home);
  await Deno.mkdir(project);
  const db = `${root}/contree-home/cli/skills.db`;
  const registries: SkillRegistry[] = [];
  let ctx = testContext({ home, cwd: project });
  const world: World = {
    root,
    home,
    project,
    db,
    get ctx() {
      return ctx;
    },
    deps: (options = {}) => {
      ctx = testContext({ home, cwd: project, env: options.env, stdin: options.stdin });
      const out = createFormatter("json", {
        stdout: ctx.stdout,
        log: ctx.log,
        tty: false,
        color: false,
        columns: () => undefined,
        timeZone: "UTC",
      });
      return {
        ctx,
        places: { home, cwd: project, env: ctx.env },
        registry: async () => {
          const registry = await openSkillRegistry(db);
          registries.push(registry);
          return registry;
        },
        version: options.version ?? "1.2.3",
        manual: () => MANUAL,
        output: (order) => {
          if (order) out.columns(order);
          return out;
        },
      };
    },
    rows: () => ctx.stdout.text().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)),
    exists: (path) => {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    files: (dir) => {
      const out: string[] = [];
      const walk = (path: string) => {
        for (const entry of Deno.readDirSync(path)) {
          const full = `${path}/${entry.name}`;
          if (entry.isDirectory) walk(full);
          else out.push(full.slice(dir.length + 1));
        }
      };
      walk(dir);
      return out.sort();
    },
  };
  try {
    await body(world);
  } finally {
    for (const registry of registries) registry.close();
    await Deno.remove(root, { recursive: true });
  }
}

function registryRows(db: string): { path: string; kind: string }[] {
  const conn = new DatabaseSync(db);
  try {
    return conn.prepare("SELECT path, kind FROM installed_skills ORDER BY path").all() as {
      path: string;
      kind: string;
    }[];
  } finally {
    conn.close();
  }
}

Deno.test("skill SPEC forms: KIND: is the project, KIND:~ the tool home, KIND:PATH, a bare PATH", () => {
  const places = { home: "/h", cwd: "/p", env: { get: (_: string) => undefined } };
  const forms: [string, string, string][] = [
    ["claude:", "claude", "/p/.claude/skills/contree"],
    ["claude:~", "claude", "/h/.claude/skills/contree"],
    ["codex:", "codex", "/p/.codex/skills/contree"],
    ["codex:~", "codex", "/h/.codex/skills/contree"],
    ["opencode:", "opencode", "/p/.opencode/skills/contree"],
    ["opencode:~", "opencode", "/h/.config/opencode/skills/contree"],
    ["amp:", "amp", "/p/.amp/skills/contree"],
    ["amp:~", "amp", "/h/.config/agents/skills/contree"],
    ["cline:", "cline", "/p/.cline/skills/contree"],
    ["cline:~", "cline", "/h/.cline/skills/contree"],
    ["claude-subagent:", "claude-subagent", "/p/.claude/agents/contree-subagent.md"],
    ["claude-subagent:~", "claude-subagent", "/h/.claude/agents/contree-subagent.md"],
    ["claude-agent:", "claude-agent", "/p/.claude/agents/contree.md"],
    ["claude-agent:~", "claude-agent", "/h/.claude/agents/contree.md"],
    ["codex:~/elsewhere/skill", "codex", "/h/elsewhere/skill"],
    ["amp:rel/dir", "amp", "/p/rel/dir"],
    ["./x/.codex/skills/contree", "codex", "/p/x/.codex/skills/contree"],
    ["/abs/notes.md", "claude-subagent", "/abs/notes.md"],
    ["/abs/.cline/skills/contree", "cline", "/abs/.cline/skills/contree"],
    ["~/.config/agents/skills/contree", "amp", "/h/.config/agents/skills/contree"],
    ["plain/dir", "claude", "/p/plain/dir"],
    ["./nokind:x", "claude", "/p/nokind:x"],
  ];
  for (const [spec, kind, path] of forms) {
    const install = parseSpec(spec, places);
    assertEquals([install.kind.name, install.path], [kind, path], spec);
  }
  // A mistyped kind is refused, not made a directory named `cluade:` here.
  for (const spec of ["cluade:", "nokind:x", "cluade:~"]) {
    assertThrows(() => parseSpec(spec, places), UsageError, "unknown skill kind");
  }
  assertEquals(SPEC_FORMS.length, KINDS.length * 2);
});

Deno.test("skill SPEC forms: CODEX_HOME, OPENCODE_HOME and CLINE_DIR move the homes", () => {
  const env: Record<string, string> = {
    CODEX_HOME: "~/codex-home",
    OPENCODE_HOME: "/oc",
    CLINE_DIR: "/cl",
  };
  const places = { home: "/h", cwd: "/p", env: { get: (name: string) => env[name] } };
  assertEquals(parseSpec("codex:~", places).path, "/h/codex-home/skills/contree");
  assertEquals(parseSpec("opencode:~", places).path, "/oc/skills/contree");
  assertEquals(parseSpec("cline:~", places).path, "/cl/skills/contree");
  // Project forms ignore the overrides.
  assertEquals(parseSpec("codex:", places).path, "/p/.codex/skills/contree");
  assertEquals(displayPath("/h/.claude/x", "/h"), "~/.claude/x");
  assertEquals(displayPath("/hx/y", "/h"), "/hx/y");
});

Deno.test("skill install: the files of each kind, stamped, remembered in skills.db (0600)", async () => {
  await withWorld(async (w) => {
    const specs = KINDS.map((kind) => `${kind.name}:`);
    assertEquals(await skillInstall(w.deps(), specs, { force: false }), 0);
    assertEquals(w.files(w.project), [
      ".amp/skills/contree/.version",
      ".amp/skills/contree/SKILL.md",
      ".amp/skills/contree/agents/openai.yaml",
      ".claude/agents/contree-subagent.md",
      ".claude/agents/contree.md",
      ".claude/skills/contree/.version",
      ".claude/skills/contree/SKILL.md",
      ".claude/skills/contree/agents/openai.yaml",
      ".cline/skills/contree/.version",
      ".cline/skills/contree/SKILL.md",
      ".cline/skills/contree/agents/openai.yaml",
      ".codex/rules/contree.rules",
      ".codex/skills/contree/.version",
      ".codex/skills/contree/SKILL.md",
      ".codex/skills/contree/agents/openai.yaml",
      ".opencode/skills/contree/.version",
      ".opencode/skills/contree/SKILL.md",
      ".opencode/skills/contree/agents/openai.yaml",
    ]);
    const claude = await Deno.readTextFile(`${w.project}/.claude/skills/contree/SKILL.md`);
    assertMatch(
      claude,
      /^---\nname: "contree"\ndescription: ".+"\nallowed-tools: Bash\(contree:\*\)\n---\n/,
    );
    // The body is the manual handed over (the one `contree agent` prints), and the stamp.
    assert(claude.includes("# contree: the manual for coding agents\n"));
    assert(claude.includes("## Core workflow\n\n```text\ncontree run -- CMD\n```\n"));
    assertEquals(stampedVersion(claude), "1.2.3");
    const codex = await Deno.readTextFile(`${w.project}/.codex/skills/contree/SKILL.md`);
    assert(!codex.includes("allowed-tools"), "only Claude skills carry allowed-tools");
    assertEquals(
      await Deno.readTextFile(`${w.project}/.codex/rules/contree.rules`),
      'prefix_rule(pattern=["contree"], decision="allow")\n',
    );
    assertEquals(await Deno.readTextFile(`${w.project}/.amp/skills/contree/.version`), "1.2.3");
    const agent = await Deno.readTextFile(`${w.project}/.claude/agents/contree.md`);
    assertMatch(agent, /^---\nname: contree\n[\s\S]*skills:\n {2}- contree\n---\n/);
    assertEquals(stampedVersion(agent), "1.2.3");
    // Every frontmatter is YAML its tool can load; the two Claude agents have their own names.
    const { parse } = await loadYaml();
    const frontmatter = (path: string): Record<string, unknown> =>
      parse(Deno.readTextFileSync(`${w.project}/${path}`).split("---\n")[1]);
    for (const path of w.files(w.project).filter((p) => p.endsWith(".md"))) {
      const fields = frontmatter(path);
      assertEquals(typeof fields.name, "string", path);
      assertEquals(typeof fields.description, "string", path);
    }
    const subagent = frontmatter(".claude/agents/contree-subagent.md");
    assertEquals([subagent.name, subagent.tools, subagent["allowed-tools"]], [
      "contree-subagent",
      "Bash, Read, Grep",
      undefined,
    ]);

    assertEquals(w.rows().map((r) => [r.action, r.kind]), KINDS.map((k) => ["install", k.name]));
    assertEquals(
      registryRows(w.db).map((r) => r.kind).sort(),
      KINDS.map((k) => k.name).sort(),
    );
    assertEquals(Deno.statSync(w.db).mode! & 0o777, 0o600);
    assertMatch(w.ctx.stderr.text(), /\[INFO\] Installed contree \(claude\) at \//);
  });
});

Deno.test("skill install: an existing install is kept unless --force", async () => {
  await withWorld(async (w) => {
    await skillInstall(w.deps({ version: "1.0.0" }), ["claude:~"], { force: false });
    const skill = `${w.home}/.claude/skills/contree`;
    assertEquals(
      await skillInstall(w.deps({ version: "2.0.0" }), ["claude:~"], { force: false }),
      0,
    );
    assertEquals(w.rows(), []);
    assertMatch(
      w.ctx.stderr.text(),
      /\[WARNING\] Already installed at ~\/\.claude\/skills\/contree;/,
    );
    assertEquals(
      installedVersion(parseSpec(skill, { cwd: "/", env: { get: () => undefined } })),
      "1.0.0",
    );
    await skillInstall(w.deps({ version: "2.0.0" }), ["claude:~"], { force: true });
    assertEquals(await Deno.readTextFile(`${skill}/.version`), "2.0.0");
    assertEquals(w.rows()[0].path, "~/.claude/skills/contree");
  });
});

Deno.test("skill install without SPEC: every tool whose home exists, nothing for the others", async () => {
  await withWorld(async (w) => {
    await assertRejects(
      () => skillInstall(w.deps(), [], { force: false }),
      ContreeError,
      "No agent tool homes",
    );
    await Deno.mkdir(`${w.home}/.claude`);
    await Deno.mkdir(`${w.root}/codex`);
    await skillInstall(w.deps({ env: { CODEX_HOME: `${w.root}/codex` } }), [], { force: false });
    assertEquals(w.rows().map((r) => r.kind), [
      "codex",
      "claude",
      "claude-subagent",
      "claude-agent",
    ]);
    assert(w.exists(`${w.root}/codex/skills/contree/SKILL.md`));
    assert(w.exists(`${w.root}/codex/rules/contree.rules`));
    assert(w.exists(`${w.home}/.claude/agents/contree.md`));
    assert(!w.exists(`${w.home}/.config`), "no directories for tools that are not there");
    assert(!w.exists(`${w.home}/.cline`));
  });
});

Deno.test("skill list: version, latest, outdated, exists; a deleted install is shown once", async () => {
  await withWorld(async (w) => {
    assertEquals(await skillList(w.deps()), 0);
    assertMatch(w.ctx.stderr.text(), /No skill installs remembered/);
    await skillInstall(w.deps({ version: "1.0.0" }), ["codex:", "claude-agent:~"], {
      force: false,
    });
    await skillInstall(w.deps({ version: "2.0.0" }), ["amp:"], { force: false });
    await Deno.remove(`${w.project}/.codex`, { recursive: true });
    await skillList(w.deps({ version: "2.0.0" }));
    // By path: the home (…/home) before the project (…/project).
    assertEquals(w.rows(), [
      {
        name: "contree",
        path: "~/.claude/agents/contree.md",
        kind: "claude-agent",
        version: "1.0.0",
        latest: "2.0.0",
        outdated: true,
        exists: true,
      },
      {
        name: "contree",
        path: `${w.project}/.amp/skills/contree`,
        kind: "amp",
        version: "2.0.0",
        latest: "2.0.0",
        outdated: false,
        exists: true,
      },
      {
        name: "contree",
        path: `${w.project}/.codex/skills/contree`,
        kind: "codex",
        version: "?",
        latest: "2.0.0",
        outdated: true,
        exists: false,
      },
    ]);
    await skillList(w.deps({ version: "2.0.0" }));
    assertEquals(w.rows().map((r) => r.kind).sort(), ["amp", "claude-agent"]);
  });
});

Deno.test("skill upgrade: every remembered install (or the SPECs) rewritten at this version", async () => {
  await withWorld(async (w) => {
    await assertRejects(() => skillUpgrade(w.deps(), []), ContreeError, "No remembered installs");
    await skillInstall(w.deps({ version: "1.0.0" }), ["cline:", "claude-subagent:"], {
      force: false,
    });
    const skillFile = `${w.project}/.cline/skills/contree/SKILL.md`;
    await Deno.writeTextFile(skillFile, (await Deno.readTextFile(skillFile)) + "local edit\n");
    assertEquals(await skillUpgrade(w.deps({ version: "1.1.0" }), []), 0);
    assertEquals(w.rows().map((r) => [r.action, r.kind]).sort(), [
      ["upgrade", "claude-subagent"],
      ["upgrade", "cline"],
    ]);
    assert(!(await Deno.readTextFile(skillFile)).includes("local edit"), "edits are reverted");
    const subagent = `${w.project}/.claude/agents/contree-subagent.md`;
    assertEquals(stampedVersion(await Deno.readTextFile(subagent)), "1.1.0");
    assertEquals(await Deno.readTextFile(`${w.project}/.cline/skills/contree/.version`), "1.1.0");

    await skillUpgrade(w.deps({ version: "1.2.0" }), ["cline:"]);
    assertEquals(w.rows().map((r) => r.kind), ["cline"]);
    assertEquals(stampedVersion(await Deno.readTextFile(subagent)), "1.1.0");

    // Not installed there, or not ours: an error each, exit 1, nothing written.
    await Deno.mkdir(`${w.project}/.amp/skills/contree`, { recursive: true });
    await Deno.writeTextFile(`${w.project}/.amp/skills/contree/SKILL.md`, "my own skill\n");
    await assertRejects(() => skillUpgrade(w.deps(), ["opencode:", "amp:"]), Exit);
    assertMatch(w.ctx.stderr.text(), /\[ERROR\] Not installed at .*\.opencode\/skills\/contree;/);
    assertMatch(
      w.ctx.stderr.text(),
      /\[ERROR\] .*\.amp\/skills\/contree\/SKILL\.md was not written/,
    );
    assertEquals(
      await Deno.readTextFile(`${w.project}/.amp/skills/contree/SKILL.md`),
      "my own skill\n",
    );
  });
});

Deno.test("skill remove: only the files an install wrote; others and foreign files stay", async () => {
  await withWorld(async (w) => {
    await skillInstall(w.deps(), ["codex:", "claude:", "claude-agent:", "claude-subagent:"], {
      force: false,
    });
    await Deno.writeTextFile(`${w.project}/.claude/skills/contree/notes.txt`, "mine\n");
    await Deno.writeTextFile(`${w.project}/.claude/agents/reviewer.md`, "another agent\n");

    assertEquals(
      await skillRemove(w.deps(), ["claude:", "claude-agent:", "codex:"], { force: true }),
      0,
    );
    assertEquals(w.files(w.project), [
      ".claude/agents/contree-subagent.md",
      ".claude/agents/reviewer.md",
      ".claude/skills/contree/notes.txt",
    ]);
    assert(!w.exists(`${w.project}/.codex/skills`), "empty layout directories go");
    assert(!w.exists(`${w.project}/.codex/rules`));
    assertEquals(w.rows().map((r) => [r.action, r.kind]), [
      ["remove", "claude"],
      ["remove", "claude-agent"],
      ["remove", "codex"],
    ]);
    assertEquals(registryRows(w.db).map((r) => r.kind), ["claude-subagent"]);

    // A file with the install's name but not written by it is left alone (exit 1).
    await Deno.writeTextFile(`${w.project}/.claude/agents/contree.md`, "hand-written agent\n");
    await assertRejects(() => skillRemove(w.deps(), ["claude-agent:"], { force: true }), Exit);
    assertMatch(w.ctx.stderr.text(), /contree\.md was not written by `contree skill install`/);
    assert(w.exists(`${w.project}/.claude/agents/contree.md`));

    // Nothing there: an error, exit 1.
    await assertRejects(() => skillRemove(w.deps(), ["amp:"], { force: true }), Exit);
    assertMatch(w.ctx.stderr.text(), /\[ERROR\] Not installed at .*\.amp\/skills\/contree/);
  });
});

Deno.test("skill remove: asks unless -y; no SPEC means every remembered install", async () => {
  await withWorld(async (w) => {
    await skillInstall(w.deps(), ["amp:", "opencode:"], { force: false });
    await assertRejects(
      () => skillRemove(w.deps({ stdin: "n\n" }), ["amp:"], { force: false }),
      Exit,
    );
    assertEquals(w.ctx.stdout.text(), "Aborted.\n");
    assertMatch(w.ctx.stderr.text(), /^Remove 'contree' from .*\.amp\/skills\/contree\? \[y\/N\] /);
    assert(w.exists(`${w.project}/.amp/skills/contree/SKILL.md`));

    assertEquals(await skillRemove(w.deps({ stdin: "y\ny\n" }), [], { force: false }), 0);
    assertEquals(w.rows().map((r) => r.kind).sort(), ["amp", "opencode"]);
    assertEquals(w.files(w.project), []);
    assertEquals(registryRows(w.db), []);
    await assertRejects(
      () => skillRemove(w.deps(), [], { force: true }),
      ContreeError,
      "No remembered installs",
    );
  });
});
