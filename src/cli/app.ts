// Per-invocation state behind every command: the global options, the resolved profile, and
// lazily created services (API client, formatter). Commands receive an App; library code
// receives the narrower pieces it needs.

import { ContreeClient, normaliseBaseUrl } from "../api/client.ts";
import { concurrencyFrom, DEFAULT_CONCURRENCY } from "../api/paginate.ts";
import { isLoopback, requestTransportFor, streamTransportFor } from "../api/transport.ts";
import {
  checkProfileName,
  ConfigPaths,
  configPaths,
  LOCAL_PROFILE,
  type Profile,
  ProfileStore,
  unconfiguredProfile,
} from "../config/profiles.ts";
import type { Context } from "../context.ts";
import { AuthError, ContreeError } from "../errors.ts";
import type { LogLevel } from "../log.ts";
import {
  type ColumnOrder,
  createFormatter,
  type FormatName,
  type Formatter,
} from "../output/mod.ts";
import { sessionKeyFrom } from "../session/key.ts";
import type { SessionStore } from "../session/store.ts";
import { streamMode } from "../style.ts";
import { userAgent } from "../version.ts";

/** The global options (CLI spec §2.1), after `[cli]` defaults were applied. */
export interface GlobalOptions {
  profile?: string;
  token?: string;
  url?: string;
  project?: string;
  config?: string;
  logLevel: LogLevel;
  format: FormatName;
  session?: string;
}

export class App {
  #client?: ContreeClient;
  #formatter?: Formatter;
  #sessionKey?: Promise<string>;
  #store?: Promise<SessionStore>;
  readonly #closers: (() => void | Promise<void>)[] = [];

  constructor(
    readonly ctx: Context,
    readonly globals: GlobalOptions,
    readonly config: ProfileStore,
  ) {}

  /** Loads the config files named by the global options (auth.ini may move with -c). */
  static async create(
    ctx: Context,
    globals: GlobalOptions,
    preloaded?: ProfileStore,
  ): Promise<App> {
    // main preloads the default files; only -c (another auth.ini) needs a second load.
    const config = preloaded && globals.config === undefined
      ? preloaded
      : await ProfileStore.load(configPaths(ctx.env, ctx.home, globals.config));
    return new App(ctx, globals, config);
  }

  get log() {
    return this.ctx.log;
  }

  get paths(): ConfigPaths {
    return this.config.paths;
  }

  /** -p > CONTREE_PROFILE > `[cli] profile` > `[DEFAULT] profile` > "default". */
  profileName(): string {
    return checkProfileName(
      this.globals.profile || this.ctx.env.get("CONTREE_PROFILE") ||
        this.config.cliDefaults().get("profile") || this.config.activeName(),
    );
  }

  /**
   * The profile this invocation talks to, with --token/--url/--project applied. A profile
   * that is not configured is made from those flags and CONTREE_URL + CONTREE_TOKEN (+
   * CONTREE_PROJECT), each flag before its variable, so the binary works as a container
   * entrypoint without `contree auth` (the reference refused the flags, CLI spec §12.22).
   */
  profile(): Profile {
    const name = this.profileName();
    const base = this.config.get(name) ?? unconfiguredProfile(name, this.ctx.env, this.globals);
    if (!base) {
      // Half of the pair that configures a server without a profile: say which half is missing.
      const url = this.globals.url || this.ctx.env.get("CONTREE_URL");
      const token = this.globals.token || this.ctx.env.get("CONTREE_TOKEN");
      const half = url && !token
        ? ` (${
          this.globals.url ? "--url" : "CONTREE_URL"
        } is set: give the token too, with --token or CONTREE_TOKEN)`
        : token && !url
        ? ` (${
          this.globals.token ? "--token" : "CONTREE_TOKEN"
        } is set: give the server too, with --url or CONTREE_URL)`
        : "";
      throw new AuthError(
        `Profile '${name}' does not exist${half}. Run \`contree auth\` first (or \`contree server start\` for a local server).`,
      );
    }
    const profile: Profile = { ...base };
    if (this.globals.token) profile.token = this.globals.token;
    if (this.globals.url) profile.url = this.globals.url.replace(/\/+$/, "");
    if (this.globals.project) profile.project = this.globals.project;
    if (!profile.url) {
      throw new ContreeError(
        `No URL configured for JWT profile '${name}'. Run \`contree auth\` or pass --url.`,
      );
    }
    return profile;
  }

  /**
   * The profile as the config files have it now, for a command that outlives changes to them
   * (the shell's completion: `server start` on another port, `auth` run from the shell).
   */
  async currentProfile(): Promise<Profile> {
    return (await App.create(this.ctx, this.globals)).profile();
  }

  /** The API client for the active profile (created once). */
  client(): ContreeClient {
    this.#client ??= this.clientFor(this.profile());
    return this.#client;
  }

  /** A client for any profile (used by `auth` to verify candidates). */
  clientFor(
    profile: Profile,
    options: { timeoutMs?: number; maxRetries?: number } = {},
  ): ContreeClient {
    const base = normaliseBaseUrl(profile.url);
    const transport = requestTransportFor(base, this.ctx.fetch);
    this.onClose(() => transport.close());
    return new ContreeClient(profile, {
      fetch: transport.fetch,
      streamFetch: streamTransportFor(base, this.ctx.env),
      clock: this.ctx.clock,
      log: this.ctx.log,
      userAgent: userAgent(),
      signal: this.ctx.signal,
      // The profile `contree server start` writes: refused, its server is simply not running.
      ...(profile.name === LOCAL_PROFILE && isLoopback(base)
        ? {
          refusedMeans: "the local server is not running (start it with: contree server start)",
          local: true,
        }
        : {}),
      ...options,
    });
  }

  #concurrency?: number;

  /** CONTREE_CONCURRENCY (default 8): parallel page fetches and uploads. */
  concurrency(): number {
    if (this.#concurrency !== undefined) return this.#concurrency;
    const value = this.ctx.env.get("CONTREE_CONCURRENCY");
    const parsed = value === undefined ? DEFAULT_CONCURRENCY : concurrencyFrom(value);
    if (parsed === undefined) {
      this.log.warning(
        `Ignoring CONTREE_CONCURRENCY=${value}: not a positive integer (using ${DEFAULT_CONCURRENCY})`,
      );
    }
    return this.#concurrency = parsed ?? DEFAULT_CONCURRENCY;
  }

  /** How stdout should be treated (TTY behaviour and colours). */
  stdoutMode(): { tty: boolean; color: boolean } {
    return streamMode(this.ctx.stdout.isTerminal, this.ctx.env);
  }

  /** The formatter of this process (one per process), with pinned columns. */
  output(order: ColumnOrder = {}, format: FormatName = this.globals.format): Formatter {
    if (!this.#formatter) {
      const mode = this.stdoutMode();
      this.#formatter = createFormatter(format, {
        stdout: this.ctx.stdout,
        log: this.ctx.log,
        tty: mode.tty,
        color: mode.color,
        columns: () => this.ctx.stdout.columns(),
        timeZone: this.ctx.env.get("TZ") || undefined,
      });
    }
    this.#formatter.columns(order);
    return this.#formatter;
  }

  /** -S > CONTREE_SESSION > `[cli] session_key` > derived from profile, parent pid and tty. */
  sessionKey(): Promise<string> {
    this.#sessionKey ??= sessionKeyFrom({
      flag: this.globals.session,
      env: this.ctx.env.get("CONTREE_SESSION"),
      config: this.config.cliDefaults().get("session_key"),
      profile: this.profileName(),
      cwd: this.ctx.cwd,
      process: this.ctx.process,
    });
    return this.#sessionKey;
  }

  /** The session database: `$CONTREE_SESSION_DB`, else `cli/sessions/<profile>.db`. */
  sessionDbPath(): string {
    return this.ctx.env.get("CONTREE_SESSION_DB") ||
      `${this.paths.sessionsDir}/${this.profileName()}.db`;
  }

  /** The session store of the active profile, opened on first use and closed with the App. */
  store(): Promise<SessionStore> {
    this.#store ??= (async () => {
      // Loaded on demand: commands that never touch sessions skip SQLite entirely.
      const { openSessionStore } = await import("../session/open.ts");
      const store = await openSessionStore(this.sessionDbPath(), this.ctx);
      this.onClose(() => store.close());
      return store;
    })();
    return this.#store;
  }

  /**
   * The session store for commands that only cache in it (operation records, listings, small
   * files): undefined, said at debug level, when it cannot be opened (a home that cannot be
   * written or located), so that they still work from the environment alone.
   */
  async optionalStore(): Promise<SessionStore | undefined> {
    try {
      return await this.store();
    } catch (error) {
      if (!(error instanceof ContreeError)) throw error;
      this.ctx.log.debug(`Working without the session cache: ${error.message}`);
      return undefined;
    }
  }

  /** Registers cleanup run by `close` (last registered, first run). */
  onClose(closer: () => void | Promise<void>): void {
    this.#closers.push(closer);
  }

  /** Closes the formatter (writing trailers) and registered resources. */
  async close(): Promise<void> {
    try {
      await this.#formatter?.close();
    } finally {
      for (const closer of this.#closers.reverse()) await closer();
    }
  }
}
