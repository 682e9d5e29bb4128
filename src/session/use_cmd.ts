// `contree use [-N] [IMAGE]` (CLI spec §8.3): start or continue a session at an image and
// print the line that exports its key; without IMAGE, show the session.

import { resolveImageRef } from "../api/image_ref.ts";
import { fishQuote, shellQuote } from "../shell_words.ts";
import { newSessionKey } from "./key.ts";
import { summaryRow } from "./report.ts";
import { NoActiveSession } from "./errors.ts";
import type { SessionDeps } from "./deps.ts";
import type { SessionStore } from "./store.ts";

export interface UseOptions {
  image?: string;
  /** `-N/--new`: a fresh random session key. */
  new: boolean;
}

function isFish(deps: SessionDeps): boolean {
  const shell = deps.ctx.env.get("SHELL") ?? "";
  return shell.slice(shell.lastIndexOf("/") + 1) === "fish";
}

/** `export CONTREE_SESSION=<key>`, or the fish form. */
export function exportLine(key: string, fish: boolean): string {
  return fish
    ? `set -gx CONTREE_SESSION ${fishQuote(key)}`
    : `export CONTREE_SESSION=${shellQuote(key)}`;
}

/** The session's summary row; NoActiveSession when it has no image. */
export async function showSession(
  deps: SessionDeps,
  store: SessionStore,
  key: string,
  noSession?: string,
): Promise<number> {
  const summary = store.summary(key);
  if (!summary || !summary.currentImage) throw new NoActiveSession(noSession);
  const out = deps.output();
  await out.write(summaryRow(summary));
  await out.flush();
  return 0;
}

export async function useCommand(deps: SessionDeps, options: UseOptions): Promise<number> {
  if (options.new && !options.image) {
    await deps.ctx.stderr.write("--new requires an IMAGE argument.\n");
    return 1;
  }
  if (!options.image) {
    // One line here, as the reference's `use` prints it (plain `session` prints two).
    const oneLine = "No active session. Run `contree use IMAGE` to start one.";
    return await showSession(deps, await deps.store(), await deps.sessionKey(), oneLine);
  }

  const ref = options.image;
  // Resolve before opening the store: a failed lookup leaves no trace. The client is made only
  // when a tag needs a lookup (a UUID works without any profile).
  const image = await resolveImageRef({
    listImages: (q) => deps.client().listImages(q),
    lookupTag: (tag) => deps.client().lookupTag(tag),
  }, ref);
  const key = options.new ? newSessionKey() : (await deps.sessionKey());
  const store = await deps.store();
  store.setImage(key, { image, kind: "use", title: ref });
  // Inside the shell the export line has nowhere to go (the shell keeps its session), except
  // for a new session's key, which the user needs to reach it.
  if (deps.ctx.inShell && !options.new) return 0;
  const fish = isFish(deps);
  await deps.ctx.stdout.write(`${exportLine(key, fish)}\n`);
  if (options.new && deps.ctx.stdout.isTerminal) {
    const evalHint = fish ? `eval (contree use -N ${ref})` : `eval $(contree use -N ${ref})`;
    deps.ctx.log.warning(
      `Session is not active until exported. Either paste the line above, or use: ${evalHint}`,
    );
  }
  return 0;
}
