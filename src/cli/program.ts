// The command tree: the root (global options, src/cli/root.ts) and one registrar per noun.

import type { ProfileStore } from "../config/profiles.ts";
import { createRoot, type Invoke, type RootCommand, type Runner } from "./root.ts";
import { registerAgent } from "./agent.ts";
import { registerAuth } from "./auth.ts";
import { registerBuild } from "./build.ts";
import { registerCd } from "./cd.ts";
import { registerCompletion } from "./completion.ts";
import { registerEnv } from "./env.ts";
import { registerFile } from "./file.ts";
import { configureHelp } from "./help.ts";
import { registerImages } from "./images.ts";
import { registerInspect } from "./inspect.ts";
import { registerMcp } from "./mcp.ts";
import { registerOperations } from "./operation.ts";
import { registerProject } from "./project.ts";
import { registerRun } from "./run.ts";
import { registerServer } from "./server.ts";
import { registerSession } from "./session.ts";
import { registerShell } from "./shell.ts";
import { registerSkill } from "./skill.ts";
import { registerTag } from "./tag.ts";
import { registerTask } from "./task.ts";
import { registerUse } from "./use.ts";

/**
 * Builds the whole tree. `config` supplies the `[cli]` defaults of the global options; `invoke`
 * (main) lets `contree shell` run its lines through a fresh tree.
 */
export function buildProgram(config: ProfileStore, run: Runner, invoke?: Invoke): RootCommand {
  const program = createRoot(config.cliDefaults());
  // Sandboxes and sessions first (the everyday commands), then local tooling.
  registerUse(program, run);
  registerRun(program, run);
  registerOperations(program, run);
  registerSession(program, run);
  registerImages(program, run);
  registerTag(program, run);
  registerInspect(program, run);
  registerCd(program, run);
  registerEnv(program, run);
  registerFile(program, run);
  registerShell(program, run, invoke);
  registerBuild(program, run);
  registerAuth(program, run);
  registerServer(program, run);
  registerTask(program, run);
  registerProject(program, run);
  registerCompletion(program, run);
  registerMcp(program, run);
  registerAgent(program, run);
  registerSkill(program, run);
  configureHelp(program);
  return program;
}
