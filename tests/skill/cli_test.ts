// `contree skill` as users run it: a temporary HOME and project, no profile needed, JSON rows,
// the aliases, and a skill body that is the manual `contree agent` prints.

import { MANUAL_SECTIONS } from "../../src/cli/agent_manual.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";

Deno.test("contree skill: install, list, upgrade and remove through the CLI", async () => {
  const root = await Deno.makeTempDir({ prefix: "contree-skill-cli-" });
  try {
    const home = `${root}/home`;
    const project = `${root}/project`;
    await Deno.mkdir(`${home}/.claude`, { recursive: true });
    await Deno.mkdir(project);
    const env = { HOME: home, CONTREE_HOME: `${root}/contree`, CODEX_HOME: `${root}/codex` };
    const cli = (...args: string[]) => runCli(args, { env, cwd: project });
    const rows = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line));

    const installed = await cli("-f", "json", "skill", "i", "claude:", "codex:~");
    assertEquals(installed.code, 0, installed.stderr);
    assertEquals(rows(installed.stdout), [
      {
        action: "install",
        name: "contree",
        kind: "claude",
        path: `${project}/.claude/skills/contree`,
      },
      { action: "install", name: "contree", kind: "codex", path: `${root}/codex/skills/contree` },
    ]);
    assertMatch(installed.stderr, /^\[INFO\] Installed contree \(claude\) at /);

    const skill = await Deno.readTextFile(`${project}/.claude/skills/contree/SKILL.md`);
    const manual = (await cli("agent")).stdout;
    for (const section of MANUAL_SECTIONS) {
      assert(skill.includes(`## ${section.title}\n\n\`\`\`text\n${section.body.trim()}\n`));
      assert(manual.includes(section.body.trim()));
    }
    assert(skill.includes("## All commands\n"), "the generated command list too");
    assert(skill.includes("  skill (") || skill.includes("  skill  "), "it lists skill itself");

    const listed = await cli("-f", "json", "skill", "ls");
    assertEquals(listed.code, 0, listed.stderr);
    assertEquals(rows(listed.stdout).map((r) => [r.kind, r.version === r.latest, r.exists]), [
      ["codex", true, true],
      ["claude", true, true],
    ]);

    const upgraded = await cli("-f", "json", "skill", "update");
    assertEquals(upgraded.code, 0, upgraded.stderr);
    assertEquals(rows(upgraded.stdout).map((r) => r.action), ["upgrade", "upgrade"]);

    const removed = await cli("skill", "rm", "-y", "codex:~");
    assertEquals(removed.code, 0, removed.stderr);
    assert(!(await exists(`${root}/codex/skills`)), "the codex install is gone");
    assert(await exists(`${root}/codex`), "the tool's home stays");

    const refused = await cli("skill", "remove", "-y", "amp:");
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /\[ERROR\] Not installed at .*\.amp\/skills\/contree\n/);

    const usage = await cli("skill", "install", "--bogus");
    assertEquals(usage.code, 2);
    const help = await cli("skill", "--help");
    assertMatch(help.stdout, /^ {2}remove\|r\|rm\|del \[options\] \[specs\.\.\.\]/m);
    assertMatch(help.stdout, /claude-subagent:~ +~\/\.claude\/agents\/contree-subagent\.md/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
