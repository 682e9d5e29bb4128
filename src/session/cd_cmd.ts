// `contree cd [PATH]` (CLI spec §8.7): the session's working directory inside the image,
// recorded as a `cd` history entry after checking that the directory exists.

import { ApiError } from "../api/errors.ts";
import { ContreeError } from "../errors.ts";
import { resolveSandboxPath } from "../sandbox_path.ts";
import type { SessionDeps } from "./deps.ts";

export async function cdCommand(deps: SessionDeps, path?: string): Promise<number> {
  const store = await deps.store();
  const key = await deps.sessionKey();
  const cwd = store.cwd(key);
  if (path === undefined) {
    await deps.ctx.stdout.write(`${cwd}\n`);
    return 0;
  }
  const target = resolveSandboxPath(cwd, path);
  const tip = store.tip(key);
  if (!tip) {
    deps.ctx.log.warning(`cd: no active session, ${target} is not recorded`);
    return 0;
  }
  let listing: unknown;
  try {
    listing = await deps.client().listDirectory(tip.image, target);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      throw new ContreeError(`cd: ${target}: no such directory`);
    }
    if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
      throw new ContreeError(`cd: ${target}: not a directory`);
    }
    throw error;
  }
  if (!listing) throw new ContreeError(`cd: ${target}: not a directory`);
  store.changeDirectory(key, target);
  return 0;
}
