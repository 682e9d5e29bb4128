// `contree auth`: profiles and credentials.

import { Option } from "../deps.ts";
import type { RootCommand, Runner } from "./root.ts";
import { authDeps } from "./wiring.ts";

/** The bodies, loaded when an auth command runs. */
const bodies = () => import("../auth/commands.ts");

export function registerAuth(program: RootCommand, run: Runner): void {
  const auth = program
    .command("auth")
    .description("register or update a profile (verifies the token with GET /v1/whoami)")
    .option("--token <token>", "API token (default: $CONTREE_TOKEN, $NEBIUS_API_KEY, or a prompt)")
    .option("-u, --url <url>", "API base URL (default: $CONTREE_URL)")
    .addOption(
      new Option("--type <type>", "token type").choices(["iam", "jwt"] as const).default(
        "iam" as const,
      ),
    )
    .option("-P, --project <id>", "project id for iam tokens (default: $CONTREE_PROJECT)")
    .option("-p, --profile <name>", "profile name (default: the global -p, else 'default')")
    .option("-y, --force", "overwrite an existing profile without asking")
    .action((options) =>
      run(async (app) =>
        (await bodies()).authLogin(authDeps(app), {
          ...options,
          profile: options.profile ?? app.globals.profile ?? "default",
          force: options.force === true,
        })
      )
    );

  auth
    .command("list")
    .aliases(["ls", "profiles"])
    .description("list profiles and check which ones work (2 s probe each, in parallel)")
    .option("-O, --offline", "do not probe the servers")
    .action((options) =>
      run(async (app) =>
        (await bodies()).authList(authDeps(app), { offline: options.offline === true })
      )
    );

  auth
    .command("use")
    .alias("switch")
    .description("make a profile the active one")
    .argument("<name>", "profile name")
    .action((name) => run(async (app) => (await bodies()).authUse(authDeps(app), name)));

  auth
    .command("remove")
    .aliases(["rm", "del"])
    .description("remove a profile and its session database")
    .argument("<name>", "profile name")
    .option("-y, --force", "do not ask for confirmation")
    .action((name, options) =>
      run(async (app) => (await bodies()).authRemove(authDeps(app), name, options.force === true))
    );
}
