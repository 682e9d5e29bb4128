// Profiles in auth.ini / cli.ini (CLI spec §2.2–2.5), read and written so that files written
// by the reference CLI are read here and the other way round.

import type { AuthType } from "../api/client.ts";
import type { Env } from "../env.ts";
import { ContreeError, UsageError } from "../errors.ts";
import { IniFile } from "./ini.ts";
import { makePrivateParent, withFileLock, writePrivateFile } from "../files.ts";

export const DEFAULT_IAM_URL = "https://api.tokenfactory.nebius.com/sandboxes";
export const PROFILE_PREFIX = "profile:";
/** The profile `contree server start` writes for the local server. */
export const LOCAL_PROFILE = "local";

export interface Profile {
  name: string;
  type: AuthType;
  /** Base URL without trailing slash; "" when a JWT profile has none. */
  url: string;
  token?: string;
  project?: string;
}

/** Where contree keeps its files. */
export interface ConfigPaths {
  home: string;
  authFile: string;
  cliFile: string;
  sessionsDir: string;
  /**
   * Set when no config directory can be located (no CONTREE_HOME, XDG_CONFIG_HOME or HOME, as
   * under `env -i` or in a bare container): there are no files to read, configuration comes from
   * CONTREE_URL/CONTREE_TOKEN, and reading a path that needs the directory throws this message.
   */
  unlocated?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function expandHome(path: string, home: string | undefined): string {
  if (home && (path === "~" || path.startsWith("~/"))) return home + path.slice(1);
  return path;
}

const UNLOCATED = "Cannot locate the config directory: set CONTREE_HOME or HOME";

function locateHome(env: Env, home: string | undefined): string | undefined {
  const explicit = nonEmpty(env.get("CONTREE_HOME"));
  if (explicit) return expandHome(explicit, home);
  const xdg = nonEmpty(env.get("XDG_CONFIG_HOME"));
  if (xdg) return `${expandHome(xdg, home)}/contree`;
  return home ? `${home}/.config/contree` : undefined;
}

/** `$CONTREE_HOME`, else `$XDG_CONFIG_HOME/contree`, else `~/.config/contree`. */
export function contreeHome(env: Env, home: string | undefined): string {
  const root = locateHome(env, home);
  if (root === undefined) throw new ContreeError(UNLOCATED);
  return root;
}

export function configPaths(env: Env, home: string | undefined, authFile?: string): ConfigPaths {
  const root = locateHome(env, home);
  if (root === undefined) {
    const fail = (): never => {
      throw new ContreeError(UNLOCATED);
    };
    const explicitAuthFile = authFile ? expandHome(authFile, home) : undefined;
    return {
      get home() {
        return fail();
      },
      get authFile() {
        return explicitAuthFile ?? fail();
      },
      get cliFile() {
        return fail();
      },
      get sessionsDir() {
        return fail();
      },
      unlocated: UNLOCATED,
    };
  }
  return {
    home: root,
    authFile: authFile ? expandHome(authFile, home) : `${root}/auth.ini`,
    cliFile: `${root}/cli.ini`,
    sessionsDir: `${root}/cli/sessions`,
  };
}

/** A file of `paths`; undefined when it lies in a config directory that cannot be located. */
function locatedPath(paths: ConfigPaths, name: "cliFile" | "authFile"): string | undefined {
  try {
    return paths[name];
  } catch (error) {
    if (paths.unlocated) return undefined; // no directory: only an explicit -c file exists
    throw error;
  }
}

async function readIni(path: string): Promise<IniFile | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    // A home below a file holds no config either.
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new ContreeError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return IniFile.parse(text, path);
  } catch (error) {
    // The parser's message names the file and the line already.
    throw new ContreeError(`Malformed config file ${(error as Error).message}`);
  }
}

function profileFrom(name: string, values: (key: string) => string | undefined): Profile {
  const type: AuthType = values("type") === "iam" ? "iam" : "jwt";
  const url = (values("url") ?? (type === "iam" ? DEFAULT_IAM_URL : "")).replace(/\/+$/, "");
  return {
    name,
    type,
    url,
    token: nonEmpty(values("token")),
    project: nonEmpty(values("project")),
  };
}

/**
 * auth.ini overlaid on cli.ini, plus the editable auth.ini itself. Edits apply at once here and
 * are replayed onto the file as it is when saved, so that commands saving at the same moment
 * (`auth` of two profiles, `server start` registering `local`) all keep theirs.
 */
export class ProfileStore {
  readonly #edits: ((store: ProfileStore) => void)[] = [];

  private constructor(
    readonly paths: ConfigPaths,
    private auth: IniFile,
    private readonly cli: IniFile,
  ) {}

  static async load(paths: ConfigPaths): Promise<ProfileStore> {
    const read = (name: "cliFile" | "authFile") => {
      const file = locatedPath(paths, name);
      return file === undefined ? undefined : readIni(file);
    };
    const [cli, auth] = await Promise.all([read("cliFile"), read("authFile")]);
    return new ProfileStore(paths, auth ?? new IniFile(), cli ?? new IniFile());
  }

  /** Configured profile names (from either file), in file order. */
  names(): string[] {
    const names = new Set<string>();
    for (const ini of [this.cli, this.auth]) {
      for (const section of ini.sections.keys()) {
        if (section.startsWith(PROFILE_PREFIX)) names.add(section.slice(PROFILE_PREFIX.length));
      }
    }
    return [...names];
  }

  has(name: string): boolean {
    return this.names().includes(name);
  }

  get(name: string): Profile | undefined {
    if (!this.has(name)) return undefined;
    const section = PROFILE_PREFIX + name;
    // As configparser reads both files: the section's keys, then `[DEFAULT]`'s (a hand-written
    // `[DEFAULT] url = …` serves every profile).
    return profileFrom(
      name,
      (key) =>
        this.auth.sections.get(section)?.get(key) ?? this.cli.sections.get(section)?.get(key) ??
          this.auth.defaults.get(key) ?? this.cli.defaults.get(key),
    );
  }

  /** The active profile recorded in auth.ini (`[DEFAULT] profile`), else "default". */
  activeName(): string {
    return nonEmpty(this.auth.defaults.get("profile")) ??
      nonEmpty(this.cli.defaults.get("profile")) ?? "default";
  }

  /** The `[cli]` section: defaults for global options (auth.ini wins over cli.ini). */
  cliDefaults(): Map<string, string> {
    return new Map([
      ...(this.cli.sections.get("cli") ?? []),
      ...(this.auth.sections.get("cli") ?? []),
    ]);
  }

  set(profile: Profile): void {
    checkProfileName(profile.name);
    this.#edit((store) => {
      const section = store.auth.section(PROFILE_PREFIX + profile.name);
      section.clear();
      if (profile.token) section.set("token", profile.token);
      section.set("url", profile.url.replace(/\/+$/, ""));
      section.set("type", profile.type);
      if (profile.project) section.set("project", profile.project);
    });
  }

  setActive(name: string): void {
    this.#edit((store) => store.auth.defaults.set("profile", name));
  }

  /** Removes the profile; when it was active, the first remaining one (or "default") is. */
  remove(name: string): void {
    this.#edit((store) => {
      store.auth.sections.delete(PROFILE_PREFIX + name);
      store.cli.sections.delete(PROFILE_PREFIX + name);
      if (store.activeName() === name) {
        store.auth.defaults.set("profile", store.names()[0] ?? "default");
      }
    });
  }

  #edit(change: (store: ProfileStore) => void): void {
    change(this);
    this.#edits.push(change);
  }

  /**
   * Writes auth.ini atomically with mode 0600 (cli.ini is never written): this store's edits
   * applied to the file as it is now, read and written under its lock.
   */
  async save(): Promise<void> {
    const path = this.paths.authFile;
    await makePrivateParent(path); // for the lock beside it
    await withFileLock(`${path}.lock`, async () => {
      const latest = new ProfileStore(this.paths, await readIni(path) ?? new IniFile(), this.cli);
      for (const change of this.#edits) change(latest);
      await writePrivateFile(path, latest.auth.toString());
      this.auth = latest.auth;
      this.#edits.length = 0;
    });
  }
}

// deno-lint-ignore no-control-regex -- control characters are among what a name must not hold
const UNSAFE_PROFILE_NAME = /[/\\[\]\x00-\x1f\x7f]/;

/**
 * Whether `name` can be a profile: it names an auth.ini section (`[profile:NAME]`) and the file
 * of its session database (`cli/sessions/NAME.db`), so no path separator, `.`/`..`, bracket or
 * control character — `../../x` would have named a database anywhere on the machine.
 */
export function isProfileName(name: string): boolean {
  // configparser trims the `profile = NAME` value but not the header: edge spaces never match.
  return name !== "" && name !== "." && name !== ".." && name === name.trim() &&
    !UNSAFE_PROFILE_NAME.test(name);
}

/** `name`, or a usage error (exit 2) when it cannot be a profile. */
export function checkProfileName(name: string): string {
  if (!isProfileName(name)) {
    throw new UsageError(
      `Invalid profile name ${JSON.stringify(name)}: no '/', '\\', '[', ']', control ` +
        "characters, spaces at either end, '.' or '..'",
    );
  }
  return name;
}

/**
 * A profile that is not configured, made of a URL and a token (+ a project: IAM) when both are
 * known: --url/--token/--project, each falling back to its variable (CONTREE_URL,
 * CONTREE_TOKEN, CONTREE_PROJECT), so a CI job may hold the token as a secret variable and give
 * the URL on the command line.
 */
export function unconfiguredProfile(
  name: string,
  env: Env,
  given: { url?: string; token?: string; project?: string } = {},
): Profile | undefined {
  const url = nonEmpty(given.url) ?? nonEmpty(env.get("CONTREE_URL"));
  const token = nonEmpty(given.token) ?? nonEmpty(env.get("CONTREE_TOKEN"));
  if (!url || !token) return undefined;
  const project = nonEmpty(given.project) ?? nonEmpty(env.get("CONTREE_PROJECT"));
  return { name, type: project ? "iam" : "jwt", url: url.replace(/\/+$/, ""), token, project };
}
