// `contree skill list|install|remove|upgrade [SPEC…]`: the agent skill files for the agent tools
// (CLI spec §8.11), whose body is the manual of `contree agent`.

import type { SkillDeps } from "../skill/commands.ts";
import { cliVersion } from "../version.ts";
import { manualSections } from "./agent.ts";
import { MANUAL_TITLE } from "./agent_manual.ts";
import type { App } from "./app.ts";
import type { RootCommand, Runner } from "./root.ts";

const SPEC_HELP = "KIND: (this project), KIND:~ (the tool's home), KIND:PATH, or a PATH";

const SPEC_EPILOG = `
SPEC forms (KIND = codex, claude, opencode, amp, cline, claude-subagent, claude-agent):
  claude:                   ./.claude/skills/contree (the project in the working directory)
  claude:~                  ~/.claude/skills/contree
  codex:~                   $CODEX_HOME/skills/contree (default ~/.codex), and rules/contree.rules
  opencode:~                $OPENCODE_HOME/skills/contree (default ~/.config/opencode)
  amp:~                     ~/.config/agents/skills/contree
  cline:~                   $CLINE_DIR/skills/contree (default ~/.cline)
  claude-subagent:~         ~/.claude/agents/contree-subagent.md
  claude-agent:~            ~/.claude/agents/contree.md
  KIND:PATH                 PATH, as KIND
  PATH                      PATH, the kind guessed (*.md: claude-subagent; .claude, .codex, …)
Installs are remembered in $CONTREE_HOME/cli/skills.db.`;

function skillDeps(app: App, program: RootCommand): SkillDeps {
  return {
    ctx: app.ctx,
    places: { home: app.ctx.home, cwd: app.ctx.cwd, env: app.ctx.env },
    registry: async () => {
      const { openSkillRegistry } = await import("../skill/registry.ts");
      const registry = await openSkillRegistry(`${app.paths.home}/cli/skills.db`);
      app.onClose(() => registry.close());
      return registry;
    },
    version: cliVersion(),
    manual: () => ({ title: MANUAL_TITLE, sections: manualSections(program) }),
    output: (order) => app.output(order),
  };
}

export function registerSkill(program: RootCommand, run: Runner): void {
  const skill = program
    .command("skill")
    .description("install the contree skill for agent tools (Codex, Claude Code, OpenCode, …)")
    .addHelpText("after", SPEC_EPILOG);
  const commands = () => import("../skill/commands.ts");

  skill
    .command("list")
    .alias("ls")
    .description("remembered installs, their version and whether they are current")
    .action(() => run(async (app) => (await commands()).skillList(skillDeps(app, program))));

  skill
    .command("install")
    .alias("i")
    .description("write the skill files (no SPEC: every tool whose home directory exists)")
    .argument("[specs...]", SPEC_HELP)
    .option("-y, --force", "overwrite an existing install")
    .addHelpText("after", SPEC_EPILOG)
    .action((specs, flags) =>
      run(async (app) =>
        (await commands()).skillInstall(skillDeps(app, program), specs, {
          force: flags.force === true,
        })
      )
    );

  skill
    .command("remove")
    .aliases(["r", "rm", "del"])
    .description("delete the files an install wrote (no SPEC: every remembered install)")
    .argument("[specs...]", SPEC_HELP)
    .option("-y, --force", "do not ask for confirmation")
    .addHelpText("after", SPEC_EPILOG)
    .action((specs, flags) =>
      run(async (app) =>
        (await commands()).skillRemove(skillDeps(app, program), specs, {
          force: flags.force === true,
        })
      )
    );

  skill
    .command("upgrade")
    .aliases(["u", "update"])
    .description("rewrite installs with this version (no SPEC: every remembered install)")
    .argument("[specs...]", SPEC_HELP)
    .addHelpText("after", SPEC_EPILOG)
    .action((specs) =>
      run(async (app) => (await commands()).skillUpgrade(skillDeps(app, program), specs))
    );
}
