// The session key (CLI spec §3.2): `-S` > CONTREE_SESSION > `[cli] session_key` > derived from
// profile, parent pid and terminal, so it is stable per terminal and parent shell.

import type { ProcessInfo } from "../context.ts";
import { NAMESPACE_OID, uuidv5 } from "../uuid.ts";

export interface KeySources {
  /** `-S/--session`. */
  flag?: string;
  /** `$CONTREE_SESSION`. */
  env?: string;
  /** `[cli] session_key`. */
  config?: string;
  profile: string;
  cwd: string;
  process: Pick<ProcessInfo, "ppid" | "ttyName">;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** `<basename(cwd) or "session">+<first 8 hex of uuid5(OID, "<profile>_<ppid>_<tty>")>`. */
export async function deriveSessionKey(
  profile: string,
  cwd: string,
  process: Pick<ProcessInfo, "ppid" | "ttyName">,
): Promise<string> {
  const tty = process.ttyName()?.replaceAll("/", "_") || "notty";
  const hex = (await uuidv5(NAMESPACE_OID, `${profile}_${process.ppid}_${tty}`)).slice(0, 8);
  return `${basename(cwd) || "session"}+${hex}`;
}

/** The session key of this invocation. Empty values count as unset. */
export async function sessionKeyFrom(sources: KeySources): Promise<string> {
  return sources.flag || sources.env || sources.config ||
    await deriveSessionKey(sources.profile, sources.cwd, sources.process);
}

/** A fresh random key (`use -N`). */
export function newSessionKey(): string {
  return crypto.randomUUID();
}
