// Tab completion in the shell (CLI spec §10): the builtins, then `contree …` walked through the
// completion model of the live command tree (src/completion/model.ts: subcommands, aliases,
// options, their choices), with values from named sources: images and operations from the API
// (cached 60 s and 5 s), sandbox paths from the inspection listing (cached 30 s per image and
// directory), branches, sessions and environment keys from the store, profiles, host paths.
// A candidate replaces the word being typed; a complete word ends with a space, a directory
// with a slash.

import { type CommandSpec, type OptionSpec, takesCommandLine } from "../completion/model.ts";
import { resolveSandboxPath } from "../sandbox_path.ts";
import { SPEC_FORMS } from "../skill/layout.ts";
import { scanWords } from "./words.ts";

/**
 * A candidate as typed at a shell prompt: each character the shell would read apart escaped
 * with a backslash. The space that ends a complete word stays a separator.
 */
export function escapeWord(candidate: string): string {
  const complete = candidate.endsWith(" ");
  const word = complete ? candidate.slice(0, -1) : candidate;
  return word.replace(/[\s'"\\$`!&;|<>()*?[\]{}#]/g, (char) => `\\${char}`) +
    (complete ? " " : "");
}

function commonPrefix(words: string[]): string {
  let prefix = words[0] ?? "";
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

export interface CompletionPort {
  /** `GET /v1/images?limit=100`. */
  images(): Promise<{ uuid: string; tag?: string | null }[]>;
  /** Operation UUIDs of `GET /v1/operations?limit=100`. */
  operations(): Promise<string[]>;
  /** The session's current image; undefined without a session. */
  image(): string | undefined;
  /** `GET /v1/inspect/<image>/list?path=<dir>` (dir ends with `/`). */
  listSandbox(image: string, dir: string): Promise<{ path: string; is_dir: boolean }[]>;
  /** The shell's working directory in the sandbox. */
  cwd(): string;
  branches(): string[];
  sessions(): string[];
  profiles(): string[];
  envKeys(): string[];
  /** The host directory relative host paths start from, and `~`. */
  hostCwd: string;
  home?: string;
  /** Epoch milliseconds, for the cache TTLs. */
  now(): number;
}

export const IMAGES_TTL_MS = 60_000;
export const OPERATIONS_TTL_MS = 5_000;
export const SANDBOX_TTL_MS = 30_000;

/** The words the first position offers: builtins, aliases, `contree` and `timeout`. */
export const FIRST_WORDS = [
  "cd",
  "pwd",
  "history",
  "help",
  "clear",
  "exit",
  "quit",
  "ls",
  "cat",
  "vim",
  "vi",
  "nvim",
  "nano",
  "-f",
  "--format",
  "timeout",
  "contree",
] as const;

const EDITORS = ["vim", "vi", "nvim", "nano"];

type Source =
  | "image"
  | "operation"
  | "session"
  | "branch"
  | "profile"
  | "sandbox-path"
  | "sandbox-dir"
  | "host-path"
  | "env-key"
  | "editor"
  | "skill-spec";

/** `<command path>|<argument name or long option>` → the source of its values. */
const SOURCES: Record<string, Source> = {
  "use|image": "image",
  "tag|image-or-tag": "image",
  "run|--use": "image",
  "show|refs": "operation",
  "kill|refs": "operation",
  "operation show|refs": "operation",
  "operation cancel|refs": "operation",
  "operation wait|refs": "operation",
  "operation events|refs": "operation",
  "session wait|refs": "operation",
  "session use|name": "session",
  "session show|name": "session",
  "session delete|keys": "session",
  "session branch|name": "branch",
  "session branch|--from": "branch",
  "session checkout|branch": "branch",
  "auth|--profile": "profile",
  "auth use|name": "profile",
  "auth remove|name": "profile",
  "ls|path": "sandbox-path",
  "cat|path": "sandbox-path",
  "cp|path": "sandbox-path",
  "cp|dest": "host-path",
  "cd|path": "sandbox-dir",
  "file edit|path": "sandbox-path",
  "file edit|--editor": "editor",
  "file cp|src": "host-path",
  "file cp|dest": "sandbox-path",
  "run|command": "sandbox-path",
  "run|--cwd": "sandbox-dir",
  "run|--file": "host-path",
  "build|context": "host-path",
  "build|--file": "host-path",
  "build|--dockerfile": "host-path",
  "env|args": "env-key",
  "skill install|specs": "skill-spec",
  "skill remove|specs": "skill-spec",
  "skill upgrade|specs": "skill-spec",
};

class TtlCache<T> {
  readonly #entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly now: () => number) {}

  get(key: string, ttlMs: number, fetch: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(key);
    if (entry && this.now() - entry.at < ttlMs) return entry.value;
    const value = fetch();
    this.#entries.set(key, { at: this.now(), value });
    // A failed fetch is not kept.
    value.catch(() => this.#entries.delete(key));
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function words(candidates: Iterable<string>, text: string): string[] {
  return [...new Set(candidates)].filter((c) => c.startsWith(text)).map((c) => `${c} `);
}

function optionWords(option: OptionSpec): string[] {
  return [option.short, option.long].filter((w): w is string => w !== undefined);
}

export class ShellCompleter {
  readonly #images: TtlCache<{ uuid: string; tag?: string | null }[]>;
  readonly #operations: TtlCache<string[]>;
  readonly #listings: TtlCache<{ path: string; is_dir: boolean }[]>;

  constructor(
    private readonly model: CommandSpec,
    private readonly port: CompletionPort,
    private readonly formats: readonly string[],
  ) {
    this.#images = new TtlCache(port.now);
    this.#operations = new TtlCache(port.now);
    this.#listings = new TtlCache(port.now);
  }

  /** The session changed (image, branch): the API lists are stale; listings of images are not. */
  invalidate(): void {
    this.#images.clear();
    this.#operations.clear();
  }

  /**
   * readline's answer for the text before the cursor: candidates and the word they replace (as
   * typed). Candidates come backslash-escaped, so a name with a space or a quote stays one word;
   * a word typed with backslashes completes too, one inside quotes does not.
   */
  async complete(line: string): Promise<[string[], string]> {
    const scan = scanWords(line);
    // A quote (not one escaped with a backslash) in the word: left alone.
    if (
      scan.open === "'" || scan.open === '"' || /(^|[^\\])(\\\\)*['"]/.test(scan.partial?.raw ?? "")
    ) {
      return [[], ""];
    }
    const text = scan.partial?.value ?? "";
    const raw = scan.partial?.raw ?? "";
    try {
      const candidates = (await this.candidates(scan.words, text)).map(escapeWord);
      // readline inserts the candidates' common prefix: one that ends inside an escape (`a\`
      // of `a\ b` and `a\'q`) would leave a backslash that joins the next line. The word so
      // far, a candidate too, holds it back.
      const common = commonPrefix(candidates);
      if (candidates.length > 1 && /(^|[^\\])(\\\\)*\\$/.test(common)) {
        candidates.push(common.slice(0, -1));
      }
      return [candidates, raw];
    } catch {
      return [[], raw]; // a source failed (no session, the API unreachable): nothing to offer
    }
  }

  async candidates(before: string[], text: string): Promise<string[]> {
    if (before.length === 0) return words(FIRST_WORDS, text);
    const [first, ...rest] = before;
    if (first === "contree") return await this.contree(rest, text);
    const position = rest.length;
    switch (first) {
      case "cd":
        return position === 0 ? await this.sandbox(text, true) : [];
      case "ls":
      case "cat":
        return await this.sandbox(text, false);
      case "-f":
      case "--format":
        return position === 0 ? words(this.formats, text) : [];
      case "help":
        return position === 0 ? words(this.topics(), text) : [];
      case "pwd":
      case "history":
      case "clear":
      case "exit":
      case "quit":
        return [];
    }
    if (EDITORS.includes(first)) return position === 0 ? await this.sandbox(text, false) : [];
    // A bare command runs in the sandbox: paths are the only thing worth completing.
    return /[/.~]/.test(text[0] ?? "") || text.includes("/") ? await this.sandbox(text, false) : [];
  }

  topics(): string[] {
    const commands = this.model.commands.filter((c) => c.name !== "help")
      .flatMap((c) => [c.name, ...c.aliases]);
    return [...FIRST_WORDS.filter((w) => w !== "contree"), ...commands];
  }

  /** `contree WORDS… TEXT`: the command tree. */
  async contree(before: string[], text: string): Promise<string[]> {
    let command = this.model;
    let positional = 0;
    let pending: OptionSpec | undefined;
    let operands = false; // after `--`, or inside run's command: no more options or subcommands
    for (const word of before) {
      if (pending) {
        pending = undefined;
        continue;
      }
      if (!operands && word === "--") {
        operands = true;
        continue;
      }
      if (!operands && word.startsWith("-") && word.length > 1) {
        const option = this.option(command, word);
        if (option?.takesValue && !word.includes("=") && !/^-[^-]./.test(word)) pending = option;
        continue;
      }
      const child = !operands && positional === 0
        ? command.commands.find((c) => c.name === word || c.aliases.includes(word))
        : undefined;
      if (child) {
        command = child;
        continue;
      }
      positional++;
      // Everything after run's first word belongs to the sandbox command.
      if (takesCommandLine(command)) operands = true;
    }
    const path = command.path.join(" ");
    if (pending) return await this.value(path, pending.long ?? "", pending.choices, text);
    if (!operands && text.startsWith("-")) {
      const options = command === this.model
        ? command.options.filter((o) => o.long === "--format")
        : command.options.filter((o) => !o.hidden);
      return words(options.flatMap(optionWords), text);
    }
    const candidates: string[] = [];
    if (positional === 0 && !operands) {
      candidates.push(
        ...words(command.commands.flatMap((c) => [c.name, ...c.aliases]), text),
      );
    }
    const args = command.arguments;
    const argument = args[positional] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
    if (argument) candidates.push(...await this.value(path, argument.name, argument.choices, text));
    return candidates;
  }

  option(command: CommandSpec, word: string): OptionSpec | undefined {
    const name = word.includes("=") ? word.slice(0, word.indexOf("=")) : word;
    const short = /^-[^-]/.test(name) ? name.slice(0, 2) : undefined;
    return command.options.find((o) => o.long === name || (short && o.short === short));
  }

  async value(
    path: string,
    name: string,
    choices: readonly string[] | undefined,
    text: string,
  ): Promise<string[]> {
    const source = SOURCES[`${path}|${name}`];
    if (!source) return choices ? words(choices, text) : [];
    const port = this.port;
    switch (source) {
      case "image":
        return await this.imageRefs(text);
      case "operation":
        return words(
          await this.#operations.get("", OPERATIONS_TTL_MS, () => port.operations()),
          text,
        );
      case "session":
        return words(port.sessions(), text);
      case "branch":
        return words(port.branches(), text);
      case "profile":
        return words(port.profiles(), text);
      case "env-key":
        return words(port.envKeys(), text);
      case "editor":
        return words(EDITORS, text);
      case "skill-spec": {
        // `claude:` and `claude:~` take no space: a path may follow the colon.
        const forms = SPEC_FORMS.filter((form) => form.startsWith(text));
        return forms.length ? forms : await this.host(text);
      }
      case "sandbox-path":
        return await this.sandbox(text, false);
      case "sandbox-dir":
        return await this.sandbox(text, true);
      case "host-path":
        return await this.host(text);
    }
  }

  /** `tag:NAME` for tags (also when typed without `tag:`) and UUIDs. */
  async imageRefs(text: string): Promise<string[]> {
    const images = await this.#images.get("", IMAGES_TTL_MS, () => this.port.images());
    const out: string[] = [];
    for (const image of images) {
      if (image.tag) {
        const ref = `tag:${image.tag}`;
        if (text.startsWith("tag:") ? ref.startsWith(text) : image.tag.startsWith(text)) {
          out.push(`${ref} `);
        }
      }
      if (image.uuid.startsWith(text)) out.push(`${image.uuid} `);
    }
    return [...new Set(out)];
  }

  /** Paths of the session image, relative to the shell's cwd unless absolute. */
  async sandbox(text: string, directoriesOnly: boolean): Promise<string[]> {
    const image = this.port.image();
    if (!image) return [];
    const slash = text.lastIndexOf("/");
    const typedDir = text.slice(0, slash + 1);
    const prefix = text.slice(slash + 1);
    const dir = resolveSandboxPath(this.port.cwd(), typedDir);
    const listDir = dir === "/" ? "/" : `${dir}/`;
    const entries = await this.#listings.get(
      `${image}\0${listDir}`,
      SANDBOX_TTL_MS,
      () => this.port.listSandbox(image, listDir),
    );
    const out: string[] = [];
    for (const entry of entries) {
      const name = entry.path.replace(/\/+$/, "").split("/").pop() ?? "";
      if (!name || !name.startsWith(prefix) || (directoriesOnly && !entry.is_dir)) continue;
      out.push(`${typedDir}${name}${entry.is_dir ? "/" : " "}`);
    }
    return out.sort();
  }

  /** Paths on this machine (`~` is the home directory). */
  async host(text: string): Promise<string[]> {
    const home = this.port.home;
    if (text === "~") return home ? ["~/"] : [];
    const expanded = home && (text === "~" || text.startsWith("~/")) ? home + text.slice(1) : text;
    const slash = expanded.lastIndexOf("/");
    const dir = slash >= 0 ? expanded.slice(0, slash + 1) : "";
    const full = dir.startsWith("/") ? dir : `${this.port.hostCwd}/${dir}`;
    const prefix = expanded.slice(slash + 1);
    const typedDir = text.slice(0, text.lastIndexOf("/") + 1);
    const out: string[] = [];
    try {
      for await (const entry of Deno.readDir(full)) {
        if (!entry.name.startsWith(prefix)) continue;
        out.push(`${typedDir}${entry.name}${entry.isDirectory ? "/" : " "}`);
      }
    } catch {
      return [];
    }
    return out.sort();
  }
}
