// `contree env` (CLI spec §8.8): variables sent with every run of the session.

import { ContreeError } from "../errors.ts";
import type { SessionDeps } from "./deps.ts";
import { confirmation } from "./report.ts";

export interface EnvOptions {
  /** `K=V` pairs to set, or with `unset` the names to remove. */
  args: string[];
  unset: boolean;
}

/** Splits `K=V` at the first `=`; undefined when there is no `=` or no name. */
export function parseAssignment(text: string): [string, string] | undefined {
  const at = text.indexOf("=");
  if (at <= 0) return undefined;
  return [text.slice(0, at), text.slice(at + 1)];
}

export async function envCommand(deps: SessionDeps, options: EnvOptions): Promise<number> {
  const key = await deps.sessionKey();
  if (options.unset) {
    if (options.args.length === 0) throw new ContreeError("Specify keys to unset");
    const store = await deps.store();
    store.unsetEnv(key, options.args);
    for (const name of options.args) deps.ctx.log.info(`Unset ${name}`);
    return 0;
  }
  if (options.args.length > 0) {
    // Validate every pair first: a bad one sets nothing.
    const values: Record<string, string> = {};
    for (const arg of options.args) {
      const pair = parseAssignment(arg);
      if (!pair) throw new ContreeError(`Invalid format '${arg}', expected KEY=VALUE`);
      values[pair[0]] = pair[1];
    }
    const store = await deps.store();
    store.setEnv(key, values);
    for (const [name, value] of Object.entries(values)) deps.ctx.log.info(`Set ${name}=${value}`);
    return 0;
  }
  const env = (await deps.store()).env(key);
  const names = Object.keys(env).sort();
  if (names.length === 0) {
    await confirmation(deps.ctx, "No session environment variables set.");
    return 0;
  }
  const out = deps.output();
  for (const name of names) await out.write({ key: name, value: env[name] });
  await out.flush();
  return 0;
}
