// History references (CLI spec §9): `@`, `:`, `HEAD` (the active branch tip), `@N`, `:N`,
// `HEADN`, bare `N` (entry N), `@-N`, `:-N`, `HEAD-N`, `HEAD~N`, `HEAD~` (N parents back),
// `@+N`, `:+N`, `HEAD+N` (N times the newest child). Every command that accepts an operation
// reference resolves it here; anything that is not a history reference must be a UUID.

import { ContreeError, UsageError } from "../errors.ts";
import { parseUuid } from "../uuid.ts";
import { SessionError } from "./errors.ts";
import type { HistoryEntry, SessionStore } from "./store.ts";

export type HistoryRef =
  | { kind: "tip" }
  | { kind: "absolute"; id: number }
  /** Negative: back that many parents; positive: forward that many newest children. */
  | { kind: "relative"; steps: number };

const REF_PATTERN = /^(HEAD|@|:)?([+-])?(\d+)?$/;

/** The history reference `token` denotes, or undefined when it is a literal (a UUID, maybe). */
export function parseHistoryRef(token: string): HistoryRef | undefined {
  if (token.startsWith("HEAD~")) {
    const rest = token.slice(5);
    if (rest === "") return { kind: "relative", steps: -1 };
    if (/^\d+$/.test(rest)) return { kind: "relative", steps: -Number(rest) };
    return undefined;
  }
  const match = REF_PATTERN.exec(token);
  if (!match) return undefined;
  const [, prefix, sign, digits] = match;
  if (!prefix) {
    return !sign && digits !== undefined ? { kind: "absolute", id: Number(digits) } : undefined;
  }
  if (digits === undefined) return sign ? undefined : { kind: "tip" };
  if (!sign) return { kind: "absolute", id: Number(digits) };
  return { kind: "relative", steps: sign === "-" ? -Number(digits) : Number(digits) };
}

export const NO_SESSION_FOR_REF =
  "No active session; cannot resolve history entry. Run `contree use` first.";

/**
 * The entry `ref` denotes in the session `key`. Absolute ids must belong to this session
 * (the reference accepts any session's entry, CLI spec §12.26).
 */
export function evaluateHistoryRef(
  store: SessionStore,
  key: string,
  ref: HistoryRef,
): HistoryEntry {
  if (
    (ref.kind === "absolute" && ref.id === 0) || (ref.kind === "relative" && ref.steps === 0)
  ) {
    throw new SessionError("History reference must be a non-zero number");
  }
  const tip = store.tip(key);
  if (!tip) throw new SessionError(NO_SESSION_FOR_REF);
  switch (ref.kind) {
    case "tip":
      return tip;
    case "absolute": {
      const entry = store.entry(ref.id);
      if (!entry) throw new SessionError(`History entry ${ref.id} not found`);
      if (entry.sessionKey !== key) {
        throw new SessionError(`History entry ${ref.id} not found in this session`);
      }
      return entry;
    }
    case "relative":
      return ref.steps < 0 ? store.walkBack(tip, -ref.steps) : store.walkForward(tip, ref.steps);
  }
}

/** The operation UUID recorded in a history entry. */
export function entryOperation(entry: HistoryEntry): string {
  if (!entry.operation) throw new SessionError(`History entry ${entry.id} has no operation UUID`);
  const uuid = parseUuid(entry.operation);
  if (!uuid) {
    throw new SessionError(
      `History entry ${entry.id} has an invalid operation UUID '${entry.operation}'`,
    );
  }
  return uuid;
}

/** Every bad token of a reference list, reported at once (exit 1). */
export class InvalidReferenceError extends ContreeError {
  constructor(readonly problems: { token: string; reason?: string }[]) {
    super(
      `Invalid operation reference${problems.length === 1 ? "" : "s"}: ${
        problems.map((p) => p.reason ? `${p.token}: ${p.reason}` : p.token).join(" ")
      }`,
    );
  }
}

/** Arguments split on whitespace (one quoted argument may hold several references). */
export function splitRefTokens(args: readonly string[]): string[] {
  return args.flatMap((arg) => arg.split(/\s+/)).filter((token) => token !== "");
}

/** True when any token is a history reference (resolving it needs the session store). */
export function hasHistoryRefs(args: readonly string[]): boolean {
  return splitRefTokens(args).some((token) => parseHistoryRef(token) !== undefined);
}

/**
 * Resolves operation references to canonical UUIDs, in order. `store` may be a getter, called
 * only when a history reference is present. Throws InvalidReferenceError listing every bad
 * token.
 */
export function resolveOperationRefs(
  store: SessionStore | (() => SessionStore),
  key: string,
  args: readonly string[],
): string[] {
  // An empty argument (`show ''`, an unset "$OP") names nothing: say so, never "nothing to do".
  if (args.some((arg) => arg.trim() === "")) {
    throw new UsageError(
      "Empty operation reference: give a UUID or a history reference (HEAD, @N, @-N, …)",
    );
  }
  let opened: SessionStore | undefined;
  const open = () => opened ??= typeof store === "function" ? store() : store;
  const uuids: string[] = [];
  const problems: { token: string; reason?: string }[] = [];
  for (const token of splitRefTokens(args)) {
    const ref = parseHistoryRef(token);
    if (!ref) {
      const uuid = parseUuid(token);
      if (uuid) uuids.push(uuid);
      else problems.push({ token });
      continue;
    }
    try {
      uuids.push(entryOperation(evaluateHistoryRef(open(), key, ref)));
    } catch (error) {
      if (!(error instanceof SessionError)) throw error;
      problems.push({ token, reason: error.message });
    }
  }
  if (problems.length > 0) throw new InvalidReferenceError(problems);
  return uuids;
}

/** One operation reference (see resolveOperationRefs). */
export function resolveOperationRef(
  store: SessionStore | (() => SessionStore),
  key: string,
  token: string,
): string {
  const [uuid] = resolveOperationRefs(store, key, [token]);
  if (uuid === undefined) throw new InvalidReferenceError([{ token }]);
  return uuid;
}

/**
 * resolveOperationRefs with an asynchronous store opener (e.g. `() => app.store()`), awaited
 * only when a history reference is present.
 */
export async function resolveOperationRefsLazily(
  openStore: () => Promise<SessionStore>,
  key: string,
  args: readonly string[],
): Promise<string[]> {
  const store = hasHistoryRefs(args) ? await openStore() : undefined;
  return resolveOperationRefs(
    () => {
      if (!store) throw new Error("unreachable: no history reference");
      return store;
    },
    key,
    args,
  );
}
