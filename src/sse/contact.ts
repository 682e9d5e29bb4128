// Contact with the server while a command waits for an operation (run, build, session wait).
// A fault the follower recovers from is silent; what the user hears about is contact: when no
// request has reached the server for 10 s, one warning (again at most once a minute), one
// [INFO] line when contact is back, and after CONTREE_FOLLOW_TIMEOUT seconds without contact
// (default 900, 0 = never) a LostContact error naming the operation and how to pick it up.
// The operation is never cancelled for lost contact: it keeps running on the server.

import { ApiError } from "../api/errors.ts";
import type { Clock } from "../context.ts";
import type { Env } from "../env.ts";
import { ContreeError, ExitCode, UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface ContactPolicy {
  /** Nothing heard for this long: the lost-contact warning. */
  lostAfterMs: number;
  /** The warning repeats at most this often while contact stays lost. */
  warnEveryMs: number;
  /** Give up after this long without contact; 0 waits forever. */
  giveUpAfterMs: number;
}

/** The documented defaults (README, environment variables). */
export const DEFAULT_CONTACT_POLICY: ContactPolicy = {
  lostAfterMs: 10_000,
  warnEveryMs: 60_000,
  giveUpAfterMs: 900_000,
};

export const FOLLOW_TIMEOUT_VARIABLE = "CONTREE_FOLLOW_TIMEOUT";

/** The policy with CONTREE_FOLLOW_TIMEOUT (seconds, 0 = wait forever) applied. */
export function contactPolicyFromEnv(env: Env): ContactPolicy {
  const raw = env.get(FOLLOW_TIMEOUT_VARIABLE);
  if (raw === undefined || raw.trim() === "") return DEFAULT_CONTACT_POLICY;
  const seconds = Number(raw.trim());
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(
      `${FOLLOW_TIMEOUT_VARIABLE} must be a number of seconds (0 = wait forever), got '${raw}'`,
    );
  }
  return { ...DEFAULT_CONTACT_POLICY, giveUpAfterMs: Math.round(seconds * 1000) };
}

/** No request reached the server for the whole CONTREE_FOLLOW_TIMEOUT: exit 1, op left running. */
export class LostContact extends ContreeError {
  /**
   * @param uuid the operation, or operations space-separated
   * @param pickUp the command that picks them up (default `contree op wait UUID…`)
   */
  constructor(
    readonly url: string,
    readonly uuid: string,
    readonly seconds: number,
    readonly pickUp = `contree op wait ${uuid}`,
  ) {
    const plural = uuid.includes(" ");
    super(
      `No contact with ${url} for ${seconds}s; ${plural ? "operations" : "operation"} ${uuid} ` +
        `${plural ? "were" : "was"} left running on the server. Pick ${
          plural ? "them" : "it"
        } up later with: ${pickUp}`,
      ExitCode.ERROR,
    );
  }

  /** The same loss, naming `uuids` (all that are left unfinished). */
  naming(uuids: readonly string[]): LostContact {
    return new LostContact(this.url, uuids.join(" "), this.seconds);
  }

  /** The same loss, picked up by `command`. */
  pickedUpBy(command: string): LostContact {
    return new LostContact(this.url, this.uuid, this.seconds, command);
  }
}

/** The server as the contact lines name it: its base URL without a trailing slash. */
export function displayUrl(client: { base: URL }): string {
  return `${client.base.origin}${client.base.pathname}`.replace(/\/+$/, "");
}

/** Answers from a gateway standing in for a server it could not reach: not contact. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** True when `error` is an HTTP answer from the server itself (any status but 502/503/504). */
export function isServerAnswer(error: unknown): boolean {
  return error instanceof ApiError && error.status > 0 && !GATEWAY_STATUSES.has(error.status);
}

/** Ticks of the watchdog never come closer together than this. */
const MIN_TICK_MS = 20;

/** A watchdog tick this much later than asked: this process did not run (stopped, suspended). */
const SUSPENDED_MS = 1_000;

export class Contact {
  #last: number;
  #warnedAt?: number;
  /** Callers in `busy`: while any is, the server's silence is not being measured. */
  #busy = 0;

  /**
   * @param uuid the operation (or operations, space-separated) waited for: LostContact names it
   * @param meanwhile what the warning says goes on while contact is lost
   */
  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly url: string,
    private readonly uuid: string,
    readonly policy: ContactPolicy = DEFAULT_CONTACT_POLICY,
    private readonly meanwhile = `operation ${uuid} keeps running; Ctrl-C cancels it`,
  ) {
    this.#last = clock.monotonic();
  }

  /** Milliseconds since a request last reached the server (0 while this side is `busy`). */
  silentMs(): number {
    return this.#busy > 0 ? 0 : this.clock.monotonic() - this.#last;
  }

  /**
   * Runs `fn`, this side's handling of what arrived (a write to a stdout nobody reads yet),
   * with the silence clock stopped: the stream is quiet because it is not being read, and a
   * heartbeat then would fetch the whole record for nothing.
   */
  async busy<T>(fn: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await fn();
    } finally {
      if (--this.#busy === 0) this.#last = this.clock.monotonic();
    }
  }

  /** A request reached the server (any answer, or a frame of a stream). */
  reached(): void {
    this.#last = this.clock.monotonic();
    if (this.#warnedAt !== undefined) {
      this.#warnedAt = undefined;
      this.log.info(`Contact with ${this.url} is back`);
    }
  }

  /** Counts a failed request: contact when the server answered it, else nothing. */
  failed(error: unknown): void {
    if (isServerAnswer(error)) this.reached();
  }

  /** Warns when due; throws LostContact once the give-up time has passed. */
  check(): void {
    const silent = this.silentMs();
    const { lostAfterMs, warnEveryMs, giveUpAfterMs } = this.policy;
    if (giveUpAfterMs > 0 && silent >= giveUpAfterMs) {
      throw new LostContact(this.url, this.uuid, Math.round(giveUpAfterMs / 1000));
    }
    if (silent < lostAfterMs) return;
    const now = this.clock.monotonic();
    if (this.#warnedAt !== undefined && now - this.#warnedAt < warnEveryMs) return;
    this.#warnedAt = now;
    this.log.warning(`Lost contact with ${this.url}; retrying (${this.meanwhile})`);
  }

  /** Milliseconds until `check()` may have something to do (a sleep is capped by it). */
  nextDueMs(): number {
    const silent = this.silentMs();
    const { lostAfterMs, warnEveryMs, giveUpAfterMs } = this.policy;
    const dues: number[] = [];
    if (silent < lostAfterMs) dues.push(lostAfterMs - silent);
    else if (this.#warnedAt === undefined) dues.push(0);
    else dues.push(this.#warnedAt + warnEveryMs - this.clock.monotonic());
    if (giveUpAfterMs > 0) dues.push(giveUpAfterMs - silent);
    return Math.max(0, Math.min(...dues));
  }

  /**
   * Runs `work` under a watchdog: while it is in flight, the warning comes on time and the
   * give-up time aborts it (with LostContact). `onSilent`, when given, runs whenever nothing has
   * been heard for half of `lostAfterMs` (one at a time, at most that often: a heartbeat for a
   * stream that stays quiet, early enough that a server that answers it is never reported
   * lost); it may end the work early through `stop`. Real timers: a request hangs in real time.
   */
  async watch<T>(
    work: (signal: AbortSignal) => Promise<T>,
    onSilent?: (stop: (reason: unknown) => void, signal: AbortSignal) => Promise<void>,
  ): Promise<T> {
    const controller = new AbortController();
    const finished = new AbortController();
    let failure: { error: unknown } | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let heartbeat: Promise<void> | undefined;
    let heartbeatAt = -Infinity;
    const quietMs = this.policy.lostAfterMs / 2;
    const stop = (reason: unknown) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    // While quiet, a heartbeat at most every quietMs (never a tight loop on a dead server).
    const heartbeatDueMs = () =>
      Math.max(quietMs - this.silentMs(), heartbeatAt + quietMs - this.clock.monotonic());
    let tickAt = 0;
    const schedule = () => {
      const due = onSilent ? Math.min(this.nextDueMs(), heartbeatDueMs()) : this.nextDueMs();
      const delay = Math.max(MIN_TICK_MS, due);
      tickAt = performance.now() + delay;
      timer = setTimeout(tick, delay);
    };
    const tick = () => {
      // Real time, whatever the clock: a process stopped (Ctrl-Z, SIGSTOP) heard nothing
      // because it did not listen. The silence is measured afresh from its resumption.
      if (performance.now() - tickAt > SUSPENDED_MS) this.#last = this.clock.monotonic();
      try {
        this.check();
      } catch (error) {
        failure = { error };
        stop(error);
        return;
      }
      if (onSilent && !heartbeat && heartbeatDueMs() <= 0) {
        heartbeatAt = this.clock.monotonic();
        heartbeat = onSilent(stop, finished.signal)
          .catch(() => {})
          .finally(() => (heartbeat = undefined));
      }
      schedule();
    };
    schedule();
    try {
      return await work(controller.signal);
    } catch (error) {
      if (failure) throw failure.error;
      throw error;
    } finally {
      clearTimeout(timer);
      finished.abort();
      await heartbeat;
    }
  }
}
