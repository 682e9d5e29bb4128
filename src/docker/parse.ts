// Dockerfile parsing for `contree build`: the text is read by `dockerfile-ast` (the parser of
// the VS Code Docker language server: line continuations, comments, the `escape` directive,
// heredocs, flags) and turned into typed instructions grouped by stage. That parser is lenient
// (it never fails), so the checks Docker makes — unknown instructions, missing arguments, bad
// flags, unterminated heredocs, instructions before FROM — are made here, each naming its line.

import { loadDockerfileAst } from "../deps.ts";
import { ContreeError } from "../errors.ts";
import { splitWords } from "./expand.ts";

/** A Dockerfile problem, reported as `<file>:<line>: <message>` (exit 1). */
export class DockerfileError extends ContreeError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
    exitCode = 1,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`, exitCode);
  }
}

interface Base {
  /** 1-based line of the keyword. */
  line: number;
  /** The instruction on one line, for logs and history titles (heredoc bodies left out). */
  text: string;
}

export interface FromInstruction extends Base {
  kind: "FROM";
  /** The image reference as written (variables not yet expanded). */
  image: string;
  /** `AS name`, lower-cased as Docker does. */
  stage?: string;
  platform?: string;
}

/** How a RUN is executed. */
export type RunCommand =
  /** Shell form: the text goes to the SHELL (default `/bin/sh -c`); heredocs stay in the text. */
  | { form: "shell"; script: string }
  /** Exec form (a JSON array): executed directly. */
  | { form: "exec"; argv: string[] }
  /** `RUN <<EOF` alone: the heredoc body is the script. */
  | { form: "heredoc"; body: string };

export interface RunInstruction extends Base {
  kind: "RUN";
  command: RunCommand;
  /** `--network=…` (none disables networking; others keep the default). */
  network?: string;
  /** `--mount=…` values (type=cache mounts are ignored; others are refused by the executor). */
  mounts: string[];
}

export interface Heredoc {
  name: string;
  body: string;
  /** False when the delimiter was quoted (`<<"EOF"`): no variable expansion in the body. */
  expand: boolean;
}

export interface CopyInstruction extends Base {
  kind: "COPY" | "ADD";
  /** Sources as written; a heredoc source is `<<NAME` and its body is in `heredocs`. */
  sources: string[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  /** ADD --checksum=sha256:<hex>. */
  checksum?: string;
  heredocs: Heredoc[];
}

export interface EnvInstruction extends Base {
  kind: "ENV";
  /** Names and raw values (quotes and `$` still to be processed). */
  pairs: { name: string; value: string }[];
}

export interface ArgInstruction extends Base {
  kind: "ARG";
  args: { name: string; defaultValue?: string }[];
}

export interface WorkdirInstruction extends Base {
  kind: "WORKDIR";
  path: string;
}

export interface UserInstruction extends Base {
  kind: "USER";
  user: string;
}

export interface ShellInstruction extends Base {
  kind: "SHELL";
  argv: string[];
}

/** Instructions that only set image metadata ConTree images do not carry. */
export interface MetadataInstruction extends Base {
  kind: "METADATA";
  keyword: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | EnvInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | ShellInstruction
  | MetadataInstruction;

export interface Stage {
  index: number;
  /** `AS name` (lower case). */
  name?: string;
  from: FromInstruction;
  /** The instructions after FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Name used in messages (`Dockerfile:12: …`). */
  file: string;
  escape: string;
  /** ARGs before the first FROM: usable in FROM lines (and re-declared ARGs in stages). */
  globalArgs: ArgInstruction[];
  stages: Stage[];
}

export const METADATA_KEYWORDS = new Set([
  "CMD",
  "ENTRYPOINT",
  "EXPOSE",
  "LABEL",
  "VOLUME",
  "HEALTHCHECK",
  "STOPSIGNAL",
  "ONBUILD",
  "MAINTAINER",
]);

const STAGE_NAME = /^[a-z][a-z0-9._-]*$/;
const COPY_FLAGS = new Set(["from", "chown", "chmod", "link"]);
const ADD_FLAGS = new Set(["chown", "chmod", "checksum", "link"]);
const RUN_FLAGS = new Set(["mount", "network"]);

type Ast = Awaited<ReturnType<typeof loadDockerfileAst>>;
type AstInstruction = InstanceType<Ast["Instruction"]>;

interface FlagLike {
  getName(): string;
  getValue(): string | null;
}

/** The JSON exec form (`["a", "b"]`), or undefined when the text is not a JSON string array. */
export function parseJsonArray(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  } catch {
    // not JSON: Docker then treats the text as shell form
  }
  return undefined;
}

class Parser {
  readonly #lines: string[];

  constructor(readonly file: string, text: string, readonly escape: string) {
    this.#lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  }

  fail(line: number | undefined, message: string): never {
    throw new DockerfileError(this.file, line, message);
  }

  flags(ins: AstInstruction, line: number, allowed: Set<string>): Map<string, string | null> {
    const flags = new Map<string, string | null>();
    const list = (ins as unknown as { getFlags?: () => FlagLike[] }).getFlags?.() ?? [];
    for (const flag of list) {
      const name = flag.getName();
      if (!allowed.has(name)) {
        this.fail(line, `${ins.getKeyword()} does not support the flag --${name}`);
      }
      if (name === "mount") {
        // Several --mount flags are allowed; keep them all.
        flags.set(`mount#${flags.size}`, flag.getValue());
        continue;
      }
      if (flags.has(name)) this.fail(line, `${ins.getKeyword()}: --${name} given twice`);
      flags.set(name, flag.getValue());
    }
    return flags;
  }

  flagValue(flags: Map<string, string | null>, name: string, line: number): string | undefined {
    if (!flags.has(name)) return undefined;
    const value = flags.get(name);
    if (!value) this.fail(line, `--${name} needs a value (--${name}=…)`);
    return value;
  }

  heredocs(ins: AstInstruction, line: number): Heredoc[] {
    const list = (ins as unknown as {
      getHeredocs?: () => InstanceType<Ast["Heredoc"]>[];
    }).getHeredocs?.() ?? [];
    return list.map((heredoc) => {
      const content = heredoc.getContentRange();
      if (!heredoc.getDelimiterRange()) {
        this.fail(line, `unterminated heredoc <<${heredoc.getName()}`);
      }
      const start = heredoc.getStartRange().start;
      const opener = this.#lines[start.line].slice(start.character);
      const chomp = /^<<-/.test(opener);
      let body = content
        ? this.#lines.slice(content.start.line, content.end.line + 1).map((l) => `${l}\n`).join("")
        : "";
      if (chomp) body = body.replace(/^\t+/gm, "");
      return {
        name: heredoc.getName(),
        body,
        expand: !/^<<-?\s*["']/.test(opener),
      };
    });
  }

  /**
   * The arguments without comment lines inside the continuation: Docker drops a line whose
   * first non-blank is `#` there (and empty lines), wherever it is indented; dockerfile-ast
   * keeps the indented ones in the text, which then reached the shell (`apt-get install \`,
   * `    # why`, `    pkg`). Continuations are joined as dockerfile-ast joins them.
   */
  withoutContinuationComments(ins: AstInstruction, args: string): string {
    const raw = (ins.getRawArgumentsContent() ?? "").split("\n").map((l) => l.replace(/\r$/, ""));
    if (!raw.slice(1).some((l) => l.trimStart().startsWith("#"))) return args;
    let text = "";
    raw.forEach((l, index) => {
      if (index > 0 && (l.trim() === "" || l.trimStart().startsWith("#"))) return;
      text += l.endsWith(this.escape) ? l.slice(0, -1) : `${l}\n`;
    });
    return text.replace(/\n$/, "");
  }

  /** The instruction on one line: heredoc bodies and continuations left out. */
  display(ins: AstInstruction, heredocs: boolean): string {
    if (!heredocs) return ins.toString();
    const raw = ins.getRawArgumentsContent() ?? "";
    const flags = ((ins as unknown as { getFlags?: () => FlagLike[] }).getFlags?.() ?? [])
      .map((f) => f.toString());
    return [ins.getKeyword(), ...flags, raw.split("\n")[0]].join(" ");
  }

  instruction(ins: AstInstruction): Instruction {
    const keyword = ins.getKeyword().toUpperCase();
    const line = ins.getRange().start.line + 1;
    const args = ins.getArgumentsContent() ?? "";
    const words = ins.getArguments().map((a) => a.getValue());
    switch (keyword) {
      case "FROM": {
        const flags = this.flags(ins, line, new Set(["platform"]));
        if (words.length !== 1 && !(words.length === 3 && words[1].toUpperCase() === "AS")) {
          this.fail(line, "FROM requires either one or three arguments (FROM image [AS name])");
        }
        const stage = words.length === 3 ? words[2].toLowerCase() : undefined;
        if (stage !== undefined && !STAGE_NAME.test(stage)) {
          this.fail(line, `invalid stage name '${words[2]}'`);
        }
        return {
          kind: "FROM",
          line,
          text: ins.toString(),
          image: words[0],
          stage,
          platform: flags.get("platform") ?? undefined,
        };
      }
      case "RUN": {
        const flags = this.flags(ins, line, RUN_FLAGS);
        const heredocs = this.heredocs(ins, line);
        if (args.trim() === "") this.fail(line, "RUN requires at least one argument");
        const mounts = [...flags.entries()].filter(([k]) => k.startsWith("mount#"))
          .map(([, v]) => v ?? "");
        const base = {
          kind: "RUN" as const,
          line,
          text: this.display(ins, heredocs.length > 0),
          network: this.flagValue(flags, "network", line),
          mounts,
        };
        if (heredocs.length > 0) {
          const raw = ins.getRawArgumentsContent() ?? "";
          const firstLine = raw.split("\n")[0].trim();
          if (heredocs.length === 1 && /^<<-?\s*(["']?)[^"'\s]+\1$/.test(firstLine)) {
            return { ...base, command: { form: "heredoc", body: heredocs[0].body } };
          }
          // A heredoc inside a longer command: the shell reads the whole text (as BuildKit).
          return { ...base, command: { form: "shell", script: `${raw}\n` } };
        }
        const text = this.withoutContinuationComments(ins, args);
        const argv = parseJsonArray(text);
        if (argv) {
          if (argv.length === 0) this.fail(line, "RUN requires at least one argument");
          return { ...base, command: { form: "exec", argv } };
        }
        return { ...base, command: { form: "shell", script: text } };
      }
      case "COPY":
      case "ADD": {
        const flags = this.flags(ins, line, keyword === "COPY" ? COPY_FLAGS : ADD_FLAGS);
        const heredocs = this.heredocs(ins, line);
        let operands: string[];
        if (heredocs.length > 0) {
          operands = (ins.getRawArgumentsContent() ?? "").split("\n")[0].trim().split(/\s+/);
        } else {
          operands = parseJsonArray(args) ?? words;
        }
        if (operands.length < 2) {
          this.fail(line, `${keyword} requires at least two arguments (source and destination)`);
        }
        const checksum = this.flagValue(flags, "checksum", line);
        if (checksum !== undefined && !/^sha256:[0-9a-fA-F]{64}$/.test(checksum)) {
          this.fail(line, `--checksum must be sha256:<64 hex digits>, got '${checksum}'`);
        }
        return {
          kind: keyword,
          line,
          text: this.display(ins, heredocs.length > 0),
          sources: operands.slice(0, -1),
          dest: operands[operands.length - 1],
          from: this.flagValue(flags, "from", line),
          chown: this.flagValue(flags, "chown", line),
          chmod: this.flagValue(flags, "chmod", line),
          checksum: checksum?.toLowerCase(),
          heredocs,
        };
      }
      case "ENV": {
        const properties = (ins as InstanceType<Ast["Env"]>).getProperties();
        if (properties.length === 0) this.fail(line, "ENV requires at least one argument");
        const pairs = properties.map((p) => {
          const value = p.getUnescapedValue();
          if (!p.getName() || value === null) this.fail(line, "ENV requires KEY=VALUE pairs");
          return { name: p.getName(), value };
        });
        return { kind: "ENV", line, text: ins.toString(), pairs };
      }
      case "ARG": {
        const list = splitWords(args, this.escape);
        if (list.length === 0) this.fail(line, "ARG requires at least one argument");
        const declared = list.map((word) => {
          const at = word.indexOf("=");
          const name = at === -1 ? word : word.slice(0, at);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail(line, `invalid ARG name '${name}'`);
          return at === -1 ? { name } : { name, defaultValue: word.slice(at + 1) };
        });
        return { kind: "ARG", line, text: ins.toString(), args: declared };
      }
      case "WORKDIR": {
        if (args.trim() === "") this.fail(line, "WORKDIR requires exactly one argument");
        return { kind: "WORKDIR", line, text: ins.toString(), path: args.trim() };
      }
      case "USER": {
        if (words.length !== 1) this.fail(line, "USER requires exactly one argument");
        return { kind: "USER", line, text: ins.toString(), user: words[0] };
      }
      case "SHELL": {
        const argv = parseJsonArray(args);
        if (!argv || argv.length === 0) {
          this.fail(line, 'SHELL requires the arguments in JSON form (SHELL ["/bin/sh", "-c"])');
        }
        return { kind: "SHELL", line, text: ins.toString(), argv };
      }
      default:
        if (METADATA_KEYWORDS.has(keyword)) {
          return { kind: "METADATA", line, text: ins.toString(), keyword };
        }
        this.fail(line, `unknown instruction '${ins.getInstruction()}'`);
    }
  }
}

/** Parses a Dockerfile; `file` names it in error messages. */
export async function parseDockerfile(text: string, file = "Dockerfile"): Promise<Dockerfile> {
  const ast = await loadDockerfileAst();
  const document = ast.DockerfileParser.parse(text);
  const seen = new Set<string>();
  for (const directive of document.getDirectives()) {
    const name = directive.getName().toLowerCase();
    // BuildKit refuses a directive given twice (a second `escape` was silently not applied).
    if (seen.has(name)) {
      throw new DockerfileError(
        file,
        directive.getRange().start.line + 1,
        `only one ${name} parser directive can be used`,
      );
    }
    seen.add(name);
    if (name === "escape" && !["\\", "`"].includes(directive.getValue())) {
      throw new DockerfileError(
        file,
        directive.getRange().start.line + 1,
        `invalid escape character '${directive.getValue()}' (use \\ or \`)`,
      );
    }
  }
  const escape = document.getEscapeCharacter();
  const parser: Parser = new Parser(file, text, escape);
  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const ins of document.getInstructions()) {
    const instruction = parser.instruction(ins);
    if (instruction.kind === "FROM") {
      if (instruction.stage !== undefined) {
        if (names.has(instruction.stage)) {
          parser.fail(instruction.line, `duplicate stage name '${instruction.stage}'`);
        }
        names.add(instruction.stage);
      }
      stages.push({
        index: stages.length,
        name: instruction.stage,
        from: instruction,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.kind !== "ARG") {
        parser.fail(
          instruction.line,
          `${ins.getKeyword().toUpperCase()} before the first FROM (only ARG may precede FROM)`,
        );
      }
      globalArgs.push(instruction);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  if (stages.length === 0) throw new ContreeError(`${file} must contain a FROM directive`);
  return { file, escape, globalArgs, stages };
}
