// `contree build` (CLI spec §8.13): a Dockerfile interpreter over the ConTree API.
//
// Every FROM resolves (or imports) an image; every RUN is one sandbox spawned from the previous
// step's image, its output streamed live through the same follower as `run`; COPY/ADD files are
// uploaded (deduplicated) and ride along with the next RUN as spawn `files`, and files still
// pending when a stage ends are landed by one last `:` spawn. ENV/ARG/WORKDIR/USER/SHELL are
// tracked here and sent with each spawn (ConTree images carry no configuration). Steps are cached
// in the build session (src/docker/cache.ts). docs/BUILD.md has the whole mapping.

import type { ContreeClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import {
  imageRefTag,
  isValidTag,
  lookupImageTag,
  resolveImageRef,
  TAG_RULE,
} from "../api/image_ref.ts";
import type { DirectoryList, FileSpec, InstanceSpawnRequest } from "../api/models.ts";
import { bytesToBase64 } from "../api/stream_repr.ts";
import { absoluteHostPath } from "../files.ts";
import type { Context } from "../context.ts";
import { ContreeError, UsageError } from "../errors.ts";
import { awaitImport, deriveTag, importSpecs } from "../images/registry.ts";
import { followRun, OutputSink } from "../operations/live_output.ts";
import { LineEndSink } from "../io.ts";
import { type ContactPolicy, contactPolicyFromEnv } from "../sse/contact.ts";
import { advancedImage, runExitCode } from "../operations/outcome.ts";
import { shellQuote } from "../shell_words.ts";
import type { FormatName, Formatter } from "../output/formatter.ts";
import { DEFAULT_SANDBOX_PATH, normaliseSandboxPath, resolveSandboxPath } from "../sandbox_path.ts";
import type { ImageCache } from "../cache.ts";
import type { LayerStore } from "./cache.ts";
import { buildSessionKey, LayerCache, stepKey } from "./cache.ts";
import { ExpandError, expandWord, type Lookup } from "./expand.ts";
import { loadIgnoreFile } from "./ignore.ts";
import {
  type ArgInstruction,
  type CopyInstruction,
  type Dockerfile,
  DockerfileError,
  type Instruction,
  parseDockerfile,
  type RunInstruction,
  type Stage,
} from "./parse.ts";
import { CopySources, joinPath, Scratch } from "./copy.ts";
import { ContextReader, type ResolvedSource } from "./sources.ts";
import { isRemoteUrl } from "./url.ts";
import {
  type Identity,
  type IdTables,
  needsTables,
  parseIdTables,
  resolveIdentity,
} from "./users.ts";

export interface BuildOptions {
  /** The context directory as typed (default "."). */
  context: string;
  /** -f/--file: the Dockerfile, relative to the working directory. */
  dockerfile?: string;
  tags: string[];
  /** `--build-arg K=V` (or `K`: the value comes from the environment). */
  buildArgs: string[];
  noCache: boolean;
  target?: string;
  /** Time limit of each RUN, seconds. */
  timeout: number;
  /** `none` runs every RUN without networking (a step's `RUN --network=none` does it for one). */
  network?: "default" | "none";
}

export interface BuildDeps {
  ctx: Context;
  client: ContreeClient;
  /** The build session's history and branches: the step cache. */
  layers: LayerStore;
  cache: ImageCache;
  format: FormatName;
  output(): Formatter;
  concurrency: number;
}

const DEFAULT_SHELL = ["/bin/sh", "-c"];
const HOSTNAME = "linuxkit";
/** Output the server keeps (and streams) per RUN: 1 MiB, the API's default. */
const TRUNCATE_AT = 1024 * 1024;

/** Image configuration a stage carries (and a `FROM <stage>` inherits). */
interface Config {
  env: Map<string, string>;
  workdir: string;
  /** "" = root. */
  user: string;
  shell: string[];
}

interface StageResult {
  image: string;
  config: Config;
}

/** One file riding along with the next spawn. */
type Pending = Map<string, FileSpec & { uuid: string }>;

/** The sandbox's platform: the local server runs on this machine's architecture. */
const ARCH = ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch] ??
  Deno.build.arch;

/**
 * BuildKit's automatic platform ARGs (global scope: FROM lines see them; a stage sees one it
 * declares, `ARG TARGETARCH`). Build and target are the same platform here.
 */
const PLATFORM_ARGS: Record<string, string> = Object.fromEntries(
  ["TARGET", "BUILD"].flatMap((kind) => [
    [`${kind}PLATFORM`, `linux/${ARCH}`],
    [`${kind}OS`, "linux"],
    [`${kind}ARCH`, ARCH],
    [`${kind}VARIANT`, ""],
  ]),
);

/** A directory to make: its owner and permission bits. */
interface MadeDir extends Identity {
  mode: number;
}

/** What podman makes a directory a copied file needs: root's, 0755. */
const DEFAULT_DIR: MadeDir = { uid: 0, gid: 0, mode: 0o755 };

function isDefaultDir(dir: MadeDir): boolean {
  return dir.uid === DEFAULT_DIR.uid && dir.gid === DEFAULT_DIR.gid &&
    dir.mode === DEFAULT_DIR.mode;
}

class StageState {
  image: string;
  readonly config: Config;
  /** ARGs declared in this stage, with their values (undefined = declared without a value). */
  readonly args = new Map<string, string | undefined>();
  readonly pending: Pending = new Map();
  /**
   * Directories to make with an owner and mode other than podman's (root's, 0755), as BuildKit
   * makes them: those the pending files create, with the owner their `COPY --chown` names, or
   * the mode (and, from an image or a tar, the owner) of the source directory they copy; and
   * those a WORKDIR creates under a USER. Existing directories keep theirs.
   */
  readonly madeDirs = new Map<string, MadeDir>();
  /** WORKDIR changed since the last spawn that used it. */
  workdirDirty = false;

  constructor(image: string, config: Config) {
    this.image = image;
    this.config = {
      env: new Map(config.env),
      workdir: config.workdir,
      user: config.user,
      shell: [...config.shell],
    };
  }

  /**
   * ENV wins over ARG, as in Docker. `$PATH` not set by an ENV is the PATH runs get (the API
   * does not give an image's own environment): `ENV PATH=/opt/venv/bin:$PATH` keeps it.
   */
  lookup: Lookup = (name) =>
    this.config.env.get(name) ?? this.args.get(name) ??
      (name === "PATH" ? DEFAULT_SANDBOX_PATH : undefined);

  /** The environment of a RUN: ARG values, then ENV. */
  runEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of this.args) if (value !== undefined) env[name] = value;
    for (const [name, value] of this.config.env) env[name] = value;
    return env;
  }

  /** What a step's result depends on besides its instruction and files. */
  keyState(): Record<string, unknown> {
    return {
      env: [...this.config.env.entries()].sort(),
      args: [...this.args.entries()].filter(([, v]) => v !== undefined).sort(),
      workdir: this.config.workdir,
      user: this.config.user,
      shell: this.config.shell,
    };
  }
}

/** `--build-arg` values; `K` alone takes K from the environment (skipped when unset). */
export function parseBuildArgs(
  pairs: readonly string[],
  env: { get(name: string): string | undefined },
): Map<string, string> {
  const args = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const name = at === -1 ? pair : pair.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ContreeError(`--build-arg expected KEY=VALUE, got '${pair}'`);
    }
    const value = at === -1 ? env.get(name) : pair.slice(at + 1);
    if (value !== undefined) args.set(name, value);
  }
  return args;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** A destination that names a directory: a trailing `/`, or `.`/`..` forms. */
function isDirectoryDest(dest: string): boolean {
  return dest.endsWith("/") || dest === "." || dest === ".." || dest.endsWith("/.") ||
    dest.endsWith("/..");
}

/** Stages the target needs, in Dockerfile order (BuildKit skips the others too). */
export function planStages(
  dockerfile: Dockerfile,
  fromRefs: string[],
  target?: string,
): { order: Stage[]; target: Stage } {
  const { stages } = dockerfile;
  let last = stages[stages.length - 1];
  if (target !== undefined) {
    const found = stages.find((s) => s.name === target.toLowerCase());
    if (!found) throw new ContreeError(`target stage '${target}' not found in ${dockerfile.file}`);
    last = found;
  }
  const byName = new Map(stages.filter((s) => s.name).map((s) => [s.name!, s]));
  const dependencies = (stage: Stage): Stage[] => {
    const deps: Stage[] = [];
    const base = byName.get(fromRefs[stage.index].toLowerCase());
    if (base && base.index < stage.index) deps.push(base);
    for (const ins of stage.instructions) {
      if ((ins.kind !== "COPY" && ins.kind !== "ADD") || ins.from === undefined) continue;
      if (ins.from.includes("$")) deps.push(...stages.slice(0, stage.index));
      else if (/^\d+$/.test(ins.from)) {
        // A number always means a stage (as in Docker), never an image called "5".
        const index = Number(ins.from);
        if (index >= stage.index) {
          throw new DockerfileError(
            dockerfile.file,
            ins.line,
            `--from=${ins.from} refers to this or a later stage`,
          );
        }
        deps.push(stages[index]);
      } else {
        const named = byName.get(ins.from.toLowerCase());
        if (named && named.index < stage.index) deps.push(named);
      }
    }
    return deps;
  };
  const needed = new Set<number>();
  const visit = (stage: Stage) => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    for (const dep of dependencies(stage)) visit(dep);
  };
  visit(last);
  return { order: stages.filter((s) => needed.has(s.index)), target: last };
}

class Builder {
  readonly #results = new Map<number, StageResult>();
  readonly #idTables = new Map<string, Promise<IdTables>>();
  readonly #usedArgs = new Set<string>();
  /** Images a step of this build made (or found in its cache), as against FROM images. */
  readonly #made = new Set<string>();
  /** Images of #made that an earlier build made (step cache hits): they may carry a tag. */
  readonly #fromCache = new Set<string>();
  readonly #globalArgs = new Map<string, string | undefined>();
  readonly #layers: LayerCache;
  readonly #targets: { stdout: LineEndSink; stderr: LineEndSink };
  readonly #copies: CopySources;
  /** Lost-contact rules of every RUN's follower (CONTREE_FOLLOW_TIMEOUT, read up front). */
  readonly #contact: ContactPolicy;
  #step = 0;
  #steps = 0;

  constructor(
    private readonly deps: BuildDeps,
    private readonly options: BuildOptions,
    private readonly dockerfile: Dockerfile,
    private readonly buildArgs: Map<string, string>,
    private readonly context: ContextReader,
    readonly sessionKey: string,
    scratch: Scratch,
  ) {
    this.#layers = new LayerCache(deps.layers, sessionKey);
    this.#contact = contactPolicyFromEnv(deps.ctx.env);
    this.#copies = new CopySources(
      { ...deps, log: deps.ctx.log },
      scratch,
      dockerfile.escape,
      options.noCache,
    );
    // RUN output is the build's log: with a data format on stdout it goes to stderr instead.
    const stderr = new LineEndSink(deps.ctx.stderr);
    this.#targets = deps.format === "default"
      ? { stdout: new LineEndSink(deps.ctx.stdout), stderr }
      : { stdout: stderr, stderr };
  }

  get log() {
    return this.deps.ctx.log;
  }

  fail(line: number | undefined, message: string, exitCode = 1): never {
    throw new DockerfileError(this.dockerfile.file, line, message, exitCode);
  }

  /** Errors of an instruction name its line (Interrupted, BrokenPipe, … pass unchanged). */
  lined(line: number, error: unknown): never {
    if (error instanceof DockerfileError) throw error;
    if (error instanceof ExpandError) this.fail(line, error.message);
    if (
      error instanceof ContreeError &&
      (error.constructor === ContreeError || error instanceof ApiError)
    ) {
      this.fail(line, error.message, error.exitCode);
    }
    throw error;
  }

  /** Runs `fn`, naming the instruction's line in any error it throws. */
  async at<T>(line: number, fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.lined(line, error);
    }
  }

  /** `at` for synchronous work. */
  atSync<T>(line: number, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.lined(line, error);
    }
  }

  expand(word: string, lookup: Lookup): string {
    return expandWord(word, lookup, { escape: this.dockerfile.escape });
  }

  /** Global ARGs (before the first FROM): values for FROM lines and re-declarations. */
  declareGlobals(args: ArgInstruction[]): void {
    const lookup = (name: string) => this.#global(name);
    for (const ins of args) {
      for (const arg of ins.args) {
        this.#globalArgs.set(
          arg.name,
          this.argValue(ins.line, arg, lookup, PLATFORM_ARGS[arg.name]),
        );
      }
    }
  }

  /** A global ARG's value: declared before the first FROM, else an automatic platform ARG. */
  #global(name: string): string | undefined {
    return this.#globalArgs.has(name) ? this.#globalArgs.get(name) : PLATFORM_ARGS[name];
  }

  /**
   * The value of an ARG declaration: a --build-arg wins (and counts as used), else its default
   * expanded with `lookup`, else `fallback`.
   */
  argValue(
    line: number,
    arg: ArgInstruction["args"][number],
    lookup: (name: string) => string | undefined,
    fallback: string | undefined,
  ): string | undefined {
    if (this.buildArgs.has(arg.name)) {
      this.#usedArgs.add(arg.name);
      return this.buildArgs.get(arg.name);
    }
    if (arg.defaultValue === undefined) return fallback;
    return this.atSync(line, () => this.expand(arg.defaultValue!, lookup));
  }

  fromRef(stage: Stage): string {
    return this.atSync(
      stage.from.line,
      () => this.expand(stage.from.image, (n) => this.#global(n)),
    );
  }

  header(text: string): void {
    this.log.info(`Step ${++this.#step}/${this.#steps}: ${text}`);
  }

  /**
   * Every context source of the stages to build is there, before any step runs: a typo in the
   * last COPY fails at once, not after the RUNs before it (sources with variables, heredocs and
   * URLs are checked when their step comes).
   */
  async checkSources(stages: readonly Stage[]): Promise<void> {
    for (const stage of stages) {
      for (const ins of stage.instructions) {
        if ((ins.kind !== "COPY" && ins.kind !== "ADD") || ins.from !== undefined) continue;
        for (const source of ins.sources) {
          if (source.startsWith("<<") || source.includes("$")) continue;
          if (ins.kind === "ADD" && (isRemoteUrl(source) || /^git@|\.git(#.*)?$/.test(source))) {
            continue;
          }
          await this.at(ins.line, () => this.context.check(source));
        }
      }
    }
  }

  async run(): Promise<string> {
    this.declareGlobals(this.dockerfile.globalArgs);
    const fromRefs = this.dockerfile.stages.map((stage) => this.fromRef(stage));
    const plan = planStages(this.dockerfile, fromRefs, this.options.target);
    await this.checkSources(plan.order);
    this.#steps = plan.order.reduce((n, s) => n + 1 + s.instructions.length, 0);
    for (const stage of this.dockerfile.stages) {
      if (stage.index > plan.target.index) {
        this.log.info(`Skipping stage ${stage.name ?? stage.index}: after the target`);
        continue;
      }
      if (!plan.order.includes(stage)) {
        this.log.info(`Skipping stage ${stage.name ?? stage.index}: not needed for the target`);
        continue;
      }
      this.#results.set(stage.index, await this.stage(stage, fromRefs[stage.index]));
    }
    const unused = [...this.buildArgs.keys()].filter((name) => !this.#usedArgs.has(name));
    if (unused.length > 0) {
      this.log.warning(`build-args not consumed by any ARG: ${unused.join(", ")}`);
    }
    const target = this.#results.get(plan.target.index)!;
    const { config } = target;
    let { image } = target;
    const otherTag = this.options.tags.length > 0 && this.#fromCache.has(image)
      ? await this.otherTag(image)
      : undefined;
    if (this.options.tags.length > 0 && (!this.#made.has(image) || otherTag)) {
      // No step made an image (only ENV, LABEL, CMD, …), or every step came from the cache and
      // the image carries another build's tag: tagging it would move that tag off it (one tag
      // per image), and a later FROM or --use of that tag would miss. Docker keeps both names;
      // this makes a new image, with a step that changes nothing.
      this.log.info(
        otherTag
          ? `The image is tagged ${otherTag} (every step was cached): making a new one for the tag`
          : "No step changed the image: making a new one for the tag",
      );
      const state = new StageState(image, config);
      await this.spawnStep(
        state,
        plan.target.from.line,
        "new image for the tag",
        { command: ":", shell: true },
        { newImage: ":" },
        true,
      );
      image = state.image;
    }
    const notCarried = [
      config.env.size > 0 ? "ENV" : "",
      config.workdir !== "/" ? "WORKDIR" : "",
      config.user !== "" ? "USER" : "",
    ].filter(Boolean);
    if (notCarried.length > 0) {
      // Docker users expect them in the image; say once where they went instead.
      this.log.info(
        `${notCarried.join(", ")} applied to this build's RUN steps only: ConTree images carry ` +
          "no image configuration (give runs -e/-C, or set them on a session with " +
          "`contree env` and `contree cd`)",
      );
    }
    return image;
  }

  /** A previous stage named by `AS name` or index, if `ref` is one. */
  previousStage(ref: string, current: number, byIndex: boolean): StageResult | undefined {
    const lower = ref.toLowerCase();
    const stage = this.dockerfile.stages.find((s) =>
      s.index < current &&
      (s.name === lower || (byIndex && /^\d+$/.test(ref) && s.index === Number(ref)))
    );
    return stage ? this.#results.get(stage.index) : undefined;
  }

  async stage(stage: Stage, ref: string): Promise<StageResult> {
    this.header(stage.from.text);
    if (stage.from.platform) {
      this.log.warning(`${this.dockerfile.file}:${stage.from.line}: --platform is ignored`);
    }
    const base = this.previousStage(ref, stage.index, false);
    let state: StageState;
    if (base) {
      state = new StageState(base.image, base.config);
    } else {
      const image = await this.at(stage.from.line, () => this.resolveFrom(ref));
      state = new StageState(image, {
        env: new Map(),
        workdir: "/",
        user: "",
        shell: DEFAULT_SHELL,
      });
      const key = await stepKey({ from: image });
      if (this.options.noCache || this.#layers.lookup(key) !== image) {
        this.#layers.record(key, { image, kind: "use", title: stage.from.text });
      }
    }
    for (const ins of stage.instructions) {
      this.header(ins.text);
      await this.instruction(state, ins, stage);
    }
    await this.flush(state);
    return { image: state.image, config: state.config };
  }

  /** FROM: a tag or UUID; a missing tag is imported from its registry (as `images import`). */
  async resolveFrom(ref: string): Promise<string> {
    if (ref.toLowerCase() === "scratch") {
      throw new ContreeError("FROM scratch is not supported: ConTree has no empty image");
    }
    const { client } = this.deps;
    if (imageRefTag(ref) === undefined) {
      // A UUID: looked up here, or an unknown one would fail the first RUN (or the tagging).
      const image = ref.toLowerCase();
      await client.inspectImage(image).catch((error) => {
        if (error instanceof ApiError && error.status === 404) {
          throw new ContreeError(`image not found: ${image}`);
        }
        throw error;
      });
      return image;
    }
    try {
      return await resolveImageRef(client, ref);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
    const derived = deriveTag(ref);
    if (derived !== ref) {
      try {
        return await lookupImageTag(client, derived);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
      }
    }
    const [spec] = importSpecs(ref, { timeout: this.options.timeout });
    this.log.info(`Importing ${spec.request.registry.url} as ${spec.request.tag}`);
    const started = await client.importImage(spec.request);
    const { image } = await awaitImport(client, started.uuid);
    return image;
  }

  async instruction(state: StageState, ins: Instruction, stage: Stage): Promise<void> {
    const file = this.dockerfile.file;
    switch (ins.kind) {
      case "ARG":
        for (const arg of ins.args) {
          state.args.set(
            arg.name,
            this.argValue(ins.line, arg, state.lookup, this.#global(arg.name)),
          );
        }
        return;
      case "ENV": {
        // Every value of one ENV line sees the environment from before the line.
        const values = this.atSync(
          ins.line,
          () => ins.pairs.map((p) => [p.name, this.expand(p.value, state.lookup)] as const),
        );
        for (const [name, value] of values) state.config.env.set(name, value);
        return;
      }
      case "WORKDIR": {
        const path = this.atSync(ins.line, () => this.expand(ins.path, state.lookup));
        const unused = state.workdirDirty ? state.config.workdir : undefined;
        state.config.workdir = resolveSandboxPath(state.config.workdir, path);
        state.workdirDirty = true;
        // Docker makes every WORKDIR, used or not: one no RUN went to, and that the new one
        // does not lie under, is made with the next step (as root's, unless a USER made it).
        if (unused && !`${state.config.workdir}/`.startsWith(`${unused}/`)) {
          await this.at(ins.line, async () => {
            for (const dir of await this.createdDirectories(state, [`${unused}/.`])) {
              state.madeDirs.set(dir, DEFAULT_DIR);
            }
          });
        }
        // BuildKit makes it, and its missing parents, as the USER in effect (Mkdir WithUser).
        if (state.config.user === "") return;
        return await this.at(ins.line, async () => {
          const owner = await this.identity(state.image, state.config.user, false);
          const meta = { ...DEFAULT_DIR, ...owner };
          if (isDefaultDir(meta)) return;
          for (const dir of await this.createdDirectories(state, [`${state.config.workdir}/.`])) {
            state.madeDirs.set(dir, meta);
          }
        });
      }
      case "USER": {
        const user = this.atSync(ins.line, () => this.expand(ins.user, state.lookup));
        if (state.workdirDirty && user !== state.config.user) {
          // The next step makes the WORKDIR as its cwd, and the server makes a missing cwd as
          // the run's user: made first, as the USER in effect at the WORKDIR (BuildKit's way).
          await this.at(ins.line, async () => {
            // Staged files do not make it first: the server makes the cwd before it lands them.
            const dirs = await this.createdDirectories(state, [`${state.config.workdir}/.`], {
              staged: false,
            });
            if (dirs.length === 0) return;
            const owner = state.config.user === ""
              ? DEFAULT_DIR
              : { ...DEFAULT_DIR, ...await this.identity(state.image, state.config.user, false) };
            for (const dir of dirs) state.madeDirs.set(dir, owner);
          });
        }
        state.config.user = user;
        return;
      }
      case "SHELL":
        state.config.shell = ins.argv;
        return;
      case "METADATA":
        this.log.warning(
          `${file}:${ins.line}: ${ins.keyword} is not applied (ConTree images carry no image configuration); skipped`,
        );
        return;
      case "RUN":
        return await this.runStep(state, ins);
      case "COPY":
      case "ADD":
        return await this.copyStep(state, ins, stage);
      case "FROM":
        return;
    }
  }

  // ---- identities ----

  idTables(image: string): Promise<IdTables> {
    let tables = this.#idTables.get(image);
    if (!tables) {
      const read = async (path: string) => {
        try {
          const response = await this.deps.client.download(image, path);
          return await response.text();
        } catch (error) {
          if (error instanceof ApiError && (error.status === 404 || error.status === 422)) {
            return "";
          }
          throw error;
        }
      };
      tables = Promise.all([read("/etc/passwd"), read("/etc/group")])
        .then(([passwd, group]) => parseIdTables(passwd, group));
      this.#idTables.set(image, tables);
    }
    return tables;
  }

  async identity(image: string, spec: string, forChown: boolean): Promise<Identity> {
    const tables = needsTables(spec, forChown)
      ? await this.idTables(image)
      : { users: new Map(), groups: new Map() };
    return resolveIdentity(spec, tables, forChown);
  }

  // ---- RUN ----

  /** The command fields of a RUN's spawn request. */
  command(state: StageState, ins: RunInstruction): Partial<InstanceSpawnRequest> {
    const shellForm = (script: string): Partial<InstanceSpawnRequest> => {
      const shell = state.config.shell;
      if (shell.length === 2 && shell[0] === DEFAULT_SHELL[0] && shell[1] === DEFAULT_SHELL[1]) {
        return { command: script, shell: true };
      }
      return { command: shell[0], args: [...shell.slice(1), script], shell: false };
    };
    const command = ins.command;
    if (command.form === "exec") {
      return { command: command.argv[0], args: command.argv.slice(1), shell: false };
    }
    if (command.form === "shell") return shellForm(command.script);
    if (command.body.startsWith("#!")) {
      // A script with its own interpreter: the interpreter reads the script on stdin.
      const [interpreter, ...args] = command.body.slice(2).split("\n")[0].trim().split(/\s+/);
      return {
        command: interpreter,
        args,
        shell: false,
        stdin: { value: bytesToBase64(new TextEncoder().encode(command.body)), encoding: "base64" },
      };
    }
    return shellForm(command.body);
  }

  async runStep(state: StageState, ins: RunInstruction): Promise<void> {
    const file = this.dockerfile.file;
    for (const mount of ins.mounts) {
      if (/(^|,)type=cache(,|$)/.test(mount)) {
        this.log.warning(`${file}:${ins.line}: --mount=${mount} is ignored (no cache mounts)`);
      } else this.fail(ins.line, `RUN --mount=${mount} is not supported`);
    }
    if (ins.network !== undefined && ins.network !== "none" && ins.network !== "default") {
      this.log.warning(`${file}:${ins.line}: --network=${ins.network} is ignored`);
    }
    const command = this.command(state, ins);
    const networking = ins.network !== "none" && this.options.network !== "none";
    await this.spawnStep(state, ins.line, ins.text, {
      ...command,
      networking: { enabled: networking },
    }, { run: command, networking });
  }

  /** Spawns one step (or takes it from the cache) and moves the stage to its image. */
  async spawnStep(
    state: StageState,
    line: number,
    title: string,
    command: Partial<InstanceSpawnRequest>,
    keyParts: Record<string, unknown>,
    asRoot = false,
  ): Promise<void> {
    if (state.madeDirs.size > 0) await this.makeDirectories(state, line);
    const files = Object.fromEntries(
      [...state.pending.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const key = await stepKey({
      parent: state.image,
      step: keyParts,
      state: state.keyState(),
      files,
    });
    if (!this.options.noCache) {
      const cached = this.#layers.lookup(key);
      if (cached) {
        this.log.info(`CACHED: ${title} -> ${cached}`);
        this.#fromCache.add(cached);
        this.landed(state, cached);
        return;
      }
    }
    const { ctx, client } = this.deps;
    const request: InstanceSpawnRequest = {
      command: "",
      ...command,
      image: state.image,
      disposable: false,
      hostname: HOSTNAME,
      timeout: this.options.timeout,
      truncate_output_at: TRUNCATE_AT,
      cwd: asRoot ? "/" : state.config.workdir,
    } as InstanceSpawnRequest;
    const env = asRoot ? {} : state.runEnv();
    if (Object.keys(env).length > 0) request.env = env;
    if (Object.keys(files).length > 0) request.files = files;
    if (!asRoot && state.config.user !== "") {
      const id = await this.at(line, () => this.identity(state.image, state.config.user, false));
      request.uid = id.uid;
      request.gid = id.gid;
    }
    const spawned = await this.at(line, () => client.spawn(request));
    this.log.debug(`Spawned operation ${spawned.uuid}`);
    const output = new OutputSink(ctx, this.#targets);
    const followed = await followRun(ctx, client, spawned.uuid, output, {
      contact: this.#contact,
    });
    // What comes next (the next step's header, the result row) starts on a line of its own.
    await this.#targets.stdout.endLine();
    await this.#targets.stderr.endLine();
    const operation = followed.operation;
    const code = runExitCode(operation);
    if (operation.metadata?.result?.state?.timed_out) {
      this.fail(line, `RUN timed out after ${this.options.timeout}s`, code || 1);
    }
    if (operation.status !== "SUCCESS") {
      this.fail(
        line,
        `RUN ended with status ${operation.status}${operation.error ? `: ${operation.error}` : ""}`,
        code || 1,
      );
    }
    if (code !== 0) this.fail(line, `RUN failed with exit code ${code}`, code);
    const image = advancedImage(operation);
    if (!image) this.fail(line, `RUN produced no image (operation ${spawned.uuid})`);
    this.#layers.record(key, { image, kind: "run", title, operation: spawned.uuid });
    this.landed(state, image);
  }

  /** Lands the pending files in a root step that makes `madeDirs` with their owners and modes. */
  async makeDirectories(state: StageState, line: number): Promise<void> {
    const byMeta = new Map<string, { meta: MadeDir; dirs: string[] }>();
    for (const [dir, meta] of state.madeDirs) {
      const key = `${meta.uid}:${meta.gid}:${meta.mode}`;
      const group = byMeta.get(key) ?? { meta, dirs: [] };
      group.dirs.push(dir);
      byMeta.set(key, group);
    }
    const count = state.madeDirs.size;
    state.madeDirs.clear();
    const script = [...byMeta.values()].map(({ meta, dirs }) => {
      const quoted = dirs.map(shellQuote).join(" ");
      return [
        `mkdir -p -- ${quoted}`,
        ...(meta.uid !== 0 || meta.gid !== 0 ? [`chown ${meta.uid}:${meta.gid} -- ${quoted}`] : []),
        ...(meta.mode !== 0o755 ? [`chmod ${meta.mode.toString(8)} -- ${quoted}`] : []),
      ].join(" && ");
    }).join(" && ");
    this.log.info(`Making ${count} director(ies) with the owner or mode they copy or are given`);
    await this.spawnStep(
      state,
      line,
      `make ${count} director(ies)`,
      {
        command: script,
        shell: true,
      },
      { makeDirectories: script },
      true,
    );
  }

  /** The tag `image` carries now, when it is not one this build gives. */
  async otherTag(image: string): Promise<string | undefined> {
    const { tag } = await this.deps.client.inspectImage(image);
    return tag && !this.options.tags.includes(tag) ? tag : undefined;
  }

  landed(state: StageState, image: string): void {
    this.#made.add(image);
    state.image = image;
    state.pending.clear();
    state.workdirDirty = false;
  }

  /** Lands files still pending (and a WORKDIR never used by a RUN) at the end of a stage. */
  async flush(state: StageState): Promise<void> {
    if (state.pending.size === 0 && !state.workdirDirty) return;
    const script = state.workdirDirty ? `mkdir -p ${shellQuote(state.config.workdir)}` : ":";
    this.log.info(
      state.pending.size > 0
        ? `Landing ${state.pending.size} staged file(s) in the image`
        : `Creating WORKDIR ${state.config.workdir}`,
    );
    await this.spawnStep(
      state,
      0,
      script === ":" ? `land ${state.pending.size} staged file(s)` : script,
      { command: script, shell: true },
      { flush: script },
      true,
    );
  }

  // ---- COPY / ADD ----

  async copyStep(state: StageState, ins: CopyInstruction, stage: Stage): Promise<void> {
    await this.at(ins.line, async () => {
      const lookup = state.lookup;
      const sources = ins.sources.map((s) => s.startsWith("<<") ? s : this.expand(s, lookup));
      const rawDest = this.expand(ins.dest, lookup);
      let destIsDir = isDirectoryDest(rawDest);
      const dest = resolveSandboxPath(state.config.workdir, rawDest);
      const chown = ins.chown === undefined ? undefined : this.expand(ins.chown, lookup);
      const chmodText = ins.chmod === undefined ? undefined : this.expand(ins.chmod, lookup);
      if (chmodText !== undefined && !/^[0-7]{3,4}$/.test(chmodText)) {
        throw new ContreeError(`--chmod must be an octal mode such as 755, got '${chmodText}'`);
      }
      const chmod = chmodText === undefined ? undefined : Number.parseInt(chmodText, 8);
      const owner = chown === undefined ? undefined : await this.identity(state.image, chown, true);

      if (ins.checksum && !sources.every(isRemoteUrl)) {
        throw new ContreeError("--checksum is only supported for URL sources");
      }
      let groups: ResolvedSource[];
      if (ins.from !== undefined) {
        groups = await this.fromSources(this.expand(ins.from, lookup), sources, stage);
      } else {
        groups = [];
        const local: string[] = [];
        const flushLocal = async () => {
          if (local.length > 0) groups.push(...await this.context.resolve(local.splice(0)));
        };
        for (const source of sources) {
          if (source.startsWith("<<")) {
            await flushLocal();
            groups.push(await this.#copies.heredoc(ins, source, lookup));
          } else if (ins.kind === "ADD" && isRemoteUrl(source)) {
            await flushLocal();
            groups.push(await this.#copies.url(source, ins.checksum));
          } else if (ins.kind === "ADD" && /^git@|\.git(#.*)?$/.test(source)) {
            throw new ContreeError(`ADD of git repositories is not supported: ${source}`);
          } else local.push(source);
        }
        await flushLocal();
        if (ins.kind === "ADD") groups = await this.#copies.extractArchives(groups);
      }
      // One source to a directory that exists (in the image, or staged): into it, as Docker.
      if (groups.length === 1 && !destIsDir) {
        // A WORKDIR no step has made yet is a directory too (its parents as well): the file
        // goes in it, not in its place.
        destIsDir = (state.workdirDirty && `${state.config.workdir}/`.startsWith(`${dest}/`)) ||
          await this.isDirectoryAt(state, dest);
      }
      if (groups.length > 1 && !destIsDir) {
        throw new ContreeError(
          `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`,
        );
      }
      const skipped = groups.flatMap((g) => g.skipped);
      if (skipped.length > 0) {
        this.log.warning(
          `${this.dockerfile.file}:${ins.line}: not copied (ConTree injects regular files only): ${
            skipped.slice(0, 5).join(", ")
          }${skipped.length > 5 ? ` and ${skipped.length - 5} more` : ""}`,
        );
      }
      const staged = await this.#copies.stage(groups, dest, destIsDir, owner, chmod);
      const made = await this.madeByCopy(state, groups, dest, [...staged.keys()], owner);
      for (const [dir, meta] of made) state.madeDirs.set(dir, meta);
      for (const [path, spec] of staged) state.pending.set(path, spec);
    });
  }

  /**
   * The directories a COPY creates that are not podman's default: with --chown, its owner; below
   * a source directory, that directory's mode and (from an image or a tar) owner. The image is
   * looked up only when one of them would differ.
   */
  async madeByCopy(
    state: StageState,
    groups: ResolvedSource[],
    dest: string,
    paths: string[],
    owner: Identity | undefined,
  ): Promise<Map<string, MadeDir>> {
    const copied = new Map<string, MadeDir>();
    for (const group of groups.filter((g) => g.isDir)) {
      for (const dir of group.dirs ?? []) {
        copied.set(joinPath(dest, dir.rel), {
          uid: owner?.uid ?? dir.uid ?? 0,
          gid: owner?.gid ?? dir.gid ?? 0,
          mode: dir.mode,
        });
      }
    }
    const fallback: MadeDir = { ...DEFAULT_DIR, ...owner };
    const made = new Map<string, MadeDir>();
    if (isDefaultDir(fallback) && [...copied.values()].every(isDefaultDir)) return made;
    for (const dir of await this.createdDirectories(state, paths)) {
      const meta = copied.get(dir) ?? fallback;
      if (!isDefaultDir(meta)) made.set(dir, meta);
    }
    return made;
  }

  /**
   * The directories that landing `paths` creates: their ancestors that neither the image nor
   * an earlier staged file has (parents first; under a missing one nothing is looked up).
   * `staged: false`: those the image lacks, whether or not staged files will make them.
   */
  async createdDirectories(
    state: StageState,
    paths: string[],
    { staged = true } = {},
  ): Promise<string[]> {
    const ancestors = new Set<string>();
    for (const path of paths) {
      for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
        ancestors.add(path.slice(0, at));
      }
    }
    const created = new Set<string>();
    // Each directory of the image listed once, however many of its entries are asked about.
    const listings = new Map<string, Promise<DirectoryList>>();
    for (const dir of [...ancestors].sort((a, b) => a.length - b.length)) {
      if (
        created.has(dir.slice(0, dir.lastIndexOf("/"))) ||
        !(await this.isDirectoryAt(state, dir, listings, staged))
      ) {
        created.add(dir);
      }
    }
    return [...created];
  }

  /**
   * Whether the stage has a directory at `path`: one to be made, files staged under it (unless
   * not `staged`), or one in its image.
   */
  async isDirectoryAt(
    state: StageState,
    path: string,
    listings?: Map<string, Promise<DirectoryList>>,
    staged = true,
  ): Promise<boolean> {
    if (state.madeDirs.has(path)) return true;
    if (staged && [...state.pending.keys()].some((file) => file.startsWith(`${path}/`))) {
      return true;
    }
    return await this.deps.client.isDirectory(state.image, path, listings);
  }

  // ---- COPY --from ----

  async fromSources(from: string, sources: string[], stage: Stage): Promise<ResolvedSource[]> {
    let image: string;
    const previous = this.previousStage(from, stage.index, true);
    if (previous) image = previous.image;
    else if (
      this.dockerfile.stages.some((s) =>
        s.index >= stage.index && (s.name === from.toLowerCase() || String(s.index) === from)
      )
    ) {
      throw new ContreeError(`--from=${from} refers to this or a later stage`);
    } else image = await this.resolveFrom(from);
    const groups: ResolvedSource[] = [];
    for (const source of sources) {
      if (/[*?[]/.test(source)) {
        throw new ContreeError(`wildcards are not supported in COPY --from sources: ${source}`);
      }
      groups.push(await this.#copies.archived(image, normaliseSandboxPath(`/${source}`), from));
    }
    return groups;
  }
}

/** `Dockerfile` (or `Containerfile`) of the context, or the -f path. */
async function findDockerfile(ctx: Context, contextDir: string, given?: string): Promise<string> {
  if (given) return absoluteHostPath(ctx.cwd, given);
  for (const name of ["Dockerfile", "Containerfile"]) {
    try {
      if ((await Deno.stat(`${contextDir}/${name}`)).isFile) return `${contextDir}/${name}`;
    } catch {
      // try the next name
    }
  }
  return `${contextDir}/Dockerfile`;
}

/** Tags as ConTree stores them: `name` alone means `name:latest`, as `docker build -t`. */
export function normaliseTag(tag: string): string {
  const last = tag.split("/").pop()!;
  return last.includes(":") ? tag : `${tag}:latest`;
}

/**
 * The `-t` tags, normalised, checked before the build runs (a bad one failed only after every
 * step). An image has one tag in ConTree — each tagging moves it — so one `-t` at most.
 */
function checkedTags(given: readonly string[]): string[] {
  const tags = given.map(normaliseTag);
  if (tags.length > 1) {
    throw new UsageError(
      `an image has one tag in ConTree (tagging again moves it): give -t once (got ${
        tags.join(", ")
      })`,
    );
  }
  for (const tag of tags) {
    if (!isValidTag(tag)) {
      throw new UsageError(`-t ${JSON.stringify(tag)}: not a tag (${TAG_RULE})`);
    }
  }
  return tags;
}

export async function buildCommand(deps: BuildDeps, options: BuildOptions): Promise<number> {
  const { ctx } = deps;
  const contextDir = absoluteHostPath(ctx.cwd, options.context || ".");
  try {
    if (!(await Deno.stat(contextDir)).isDirectory) throw new Error("not a directory");
  } catch {
    throw new ContreeError(`context ${options.context} is not a directory`);
  }
  // `-f -`: the Dockerfile on stdin, as `docker build -f -` (named Dockerfile, in the context).
  const fromStdin = options.dockerfile === "-";
  const dockerfilePath = fromStdin
    ? `${contextDir}/Dockerfile`
    : await findDockerfile(ctx, contextDir, options.dockerfile);
  let text: string;
  try {
    text = fromStdin
      ? await new Response(ctx.stdin.readable()).text()
      : await Deno.readTextFile(dockerfilePath);
  } catch {
    throw new ContreeError(`Dockerfile ${options.dockerfile ?? dockerfilePath} not found`);
  }
  const dockerfile = await parseDockerfile(text, basename(dockerfilePath));
  const buildArgs = parseBuildArgs(options.buildArgs, ctx.env);
  const { matcher, path: ignorePath } = await loadIgnoreFile(contextDir, dockerfilePath)
    .catch((error) => {
      throw new ContreeError(`Cannot read the ignore file: ${(error as Error).message}`);
    });
  if (ignorePath) ctx.log.debug(`Ignore rules from ${ignorePath}`);
  const tags = checkedTags(options.tags);
  for (const tag of options.tags) {
    if (/^\d+$/.test(tag)) {
      ctx.log.warning(`-t ${tag} tags the image '${tag}:latest'; the time limit is --timeout`);
    }
  }
  const sessionKey = await buildSessionKey(contextDir);
  const scratchDir = await Deno.makeTempDir({ prefix: "contree-build-" });
  let image: string;
  try {
    const builder = new Builder(
      deps,
      options,
      dockerfile,
      buildArgs,
      new ContextReader(contextDir, matcher),
      sessionKey,
      new Scratch(scratchDir),
    );
    image = await builder.run();
  } finally {
    await Deno.remove(scratchDir, { recursive: true }).catch(() => {});
  }
  for (const tag of tags) {
    await deps.client.tagImage(image, tag);
    ctx.log.info(`Tagged ${image} as ${tag}`);
  }
  const out = deps.output();
  await out.write({ image, tag: tags.join(","), session: sessionKey });
  await out.flush();
  return 0;
}
