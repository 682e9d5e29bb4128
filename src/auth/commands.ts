// `contree auth …`: register, list, switch and remove profiles (CLI spec §8.10).
//
// Deviations from the reference: a saved profile becomes the active one (the reference keeps
// pointing at a possibly non-existent `default`), and `contree -p foo auth` registers `foo`.

import { ApiError } from "../api/errors.ts";
import type { AuthType } from "../api/client.ts";
import type { WhoAmI } from "../api/models.ts";
import { sha256Hex } from "../bytes.ts";
import {
  DEFAULT_IAM_URL,
  isProfileName,
  type Profile,
  type ProfileStore,
} from "../config/profiles.ts";
import type { Context } from "../context.ts";
import { ContreeError, Exit, Interrupted, UsageError } from "../errors.ts";
import type { Formatter } from "../output/formatter.ts";
import { confirm, prompt } from "../prompt.ts";

/** What the auth commands need: the profiles of this invocation and a way to verify a token. */
export interface AuthDeps {
  ctx: Context;
  /** auth.ini and cli.ini as loaded for this invocation (-c may point elsewhere). */
  config: ProfileStore;
  /** The profile this invocation talks to (-p > CONTREE_PROFILE > `[cli]` > the active one). */
  activeProfile: string;
  /** `GET /v1/whoami` as `profile`. */
  whoami(profile: Profile, options: { timeoutMs?: number; maxRetries?: number }): Promise<WhoAmI>;
  output(): Formatter;
}

export interface AuthOptions {
  profile: string;
  type: AuthType;
  token?: string;
  url?: string;
  project?: string;
  force: boolean;
}

function firstEnv(deps: AuthDeps, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = deps.ctx.env.get(name);
    if (value) return { name, value };
  }
  return undefined;
}

async function ask(deps: AuthDeps, question: string, hidden = false): Promise<string> {
  const answer = await prompt(deps.ctx, question, { hidden });
  if (answer === undefined) {
    throw new UsageError(`No answer to '${question.trim()}' (stdin closed)`);
  }
  return answer;
}

/** Registers or updates a profile after verifying its token, and makes it active. */
export async function authLogin(deps: AuthDeps, options: AuthOptions): Promise<number> {
  const { profile: name, type } = options;
  const exists = deps.config.has(name);
  deps.ctx.log.info(
    `${exists ? "Updating" : "Setting"} token for profile '${name}' (type: ${type})`,
  );
  if (
    exists && !options.force &&
    !(await confirm(deps.ctx, `Profile '${name}' already exists. Overwrite? [y/N] `))
  ) {
    await deps.ctx.stdout.write("Aborted.\n");
    return 1;
  }

  let token = options.token;
  if (!token) {
    const fromEnv = firstEnv(deps, ["CONTREE_TOKEN", "NEBIUS_API_KEY"]);
    if (fromEnv) deps.ctx.log.info(`Using token from ${fromEnv.name}`);
    token = fromEnv?.value ?? await ask(deps, "Token: ", true);
  }
  if (!token) throw new ContreeError("A token is required");

  let url = options.url ?? deps.ctx.env.get("CONTREE_URL") ??
    (type === "iam" ? DEFAULT_IAM_URL : undefined);
  if (!url) url = await ask(deps, "URL: ");
  if (!url) throw new ContreeError("URL is required for JWT auth");

  let project = options.project;
  if (type === "iam" && !project) {
    project = firstEnv(deps, ["CONTREE_PROJECT", "NEBIUS_AI_PROJECT"])?.value ??
      await ask(deps, "Project ID: ");
  }

  const profile: Profile = {
    name,
    type,
    url: url.replace(/\/+$/, ""),
    token,
    project: project || undefined,
  };
  let whoami: WhoAmI;
  try {
    whoami = await deps.whoami(profile, { maxRetries: 2 });
  } catch (error) {
    if (error instanceof ContreeError) {
      throw new ContreeError(
        `Token verification failed: ${error.message}. Profile not changed.`,
        error.exitCode,
      );
    }
    throw error;
  }
  if (!whoami || typeof whoami !== "object" || whoami.permissions?.list !== true) {
    deps.ctx.log.warning(
      `Warning: token is valid but sandboxes are disabled on ${
        profile.project ?? profile.url
      } (no 'list' permission). ` +
        "The profile will be saved but no commands will work until the service is enabled.",
    );
  }
  deps.config.set(profile);
  deps.config.setActive(name);
  await deps.config.save();
  deps.ctx.log.info(`auth accepted, profile '${name}' saved to -> ${deps.config.paths.authFile}`);
  return 0;
}

export type ProbeStatus =
  | "ok"
  | "inactive"
  | "timeout"
  | "error"
  | "no url"
  | "no token"
  | "offline mode";

/** Verifies one profile with a short timeout. */
export async function probeProfile(
  deps: AuthDeps,
  profile: Profile,
  timeoutMs: number,
): Promise<ProbeStatus> {
  if (!profile.url) return "no url";
  if (!profile.token) return "no token";
  try {
    const whoami = await deps.whoami(profile, { timeoutMs, maxRetries: 0 });
    return whoami?.permissions?.list === true ? "ok" : "inactive";
  } catch (error) {
    if (error instanceof Interrupted) throw error; // SIGINT/SIGTERM: not a broken profile
    if (error instanceof ApiError) return "error";
    if (error instanceof ContreeError && /timed out/.test(error.message)) return "timeout";
    return "error";
  }
}

async function tokenDigest(token: string | undefined): Promise<string> {
  if (!token) return "<no token>";
  return (await sha256Hex(token)).slice(0, 16);
}

/** Lists profiles, probing each in parallel (2 s each) unless offline. */
export async function authList(
  deps: AuthDeps,
  options: { offline: boolean; timeoutMs?: number },
): Promise<number> {
  const names = deps.config.names();
  if (names.length === 0) {
    await deps.ctx.stdout.write("No profiles configured.\n");
    return 0;
  }
  const active = deps.activeProfile;
  const profiles = names.map((name) => deps.config.get(name)!);
  const statuses = await Promise.all(
    profiles.map((p) =>
      options.offline ? "offline mode" : probeProfile(deps, p, options.timeoutMs ?? 2000)
    ),
  );
  deps.ctx.log.info("Configured profiles (active = true marks the active one)");
  const out = deps.output();
  for (const [i, profile] of profiles.entries()) {
    await out.write({
      name: profile.name,
      type: profile.type,
      url: profile.url,
      project: profile.project ?? "",
      token_sha256: await tokenDigest(profile.token),
      active: profile.name === active,
      status: statuses[i],
    });
  }
  await out.flush();
  return 0;
}

export async function authUse(deps: AuthDeps, name: string): Promise<number> {
  if (!deps.config.has(name)) throw new ContreeError(`profile '${name}' does not exist`);
  deps.config.setActive(name);
  await deps.config.save();
  deps.ctx.log.info(`Active profile: '${name}'`);
  return 0;
}

/** Removes a profile and its session database. */
export async function authRemove(deps: AuthDeps, name: string, force: boolean): Promise<number> {
  if (!deps.config.has(name)) throw new ContreeError(`profile '${name}' does not exist`);
  if (!force && !(await confirm(deps.ctx, `Remove profile '${name}'? [y/N] `))) {
    await deps.ctx.stdout.write("Aborted.\n");
    throw new Exit(1);
  }
  deps.config.remove(name);
  await deps.config.save();
  // A name that cannot be a profile (written into auth.ini by hand) names no database of ours.
  for (const suffix of isProfileName(name) ? ["", "-wal", "-shm"] : []) {
    await Deno.remove(`${deps.config.paths.sessionsDir}/${name}.db${suffix}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  deps.ctx.log.info(`Removed profile '${name}'`);
  return 0;
}
