// Every third-party import lives here, with a full versioned npm: specifier, so that
// `deno run https://…/main.ts` resolves without our deno.json.
//
// Only the command-line parser is loaded eagerly (every invocation needs it). Libraries that
// a few commands need are loaded on first use, which keeps `contree -v` and `contree ps` fast.
//
// The parser is commander 15.1.0 as bundled by scripts/vendor_commander.ts into
// src/commander.js (typed by npm:@commander-js/extra-typings@15.1.0, src/commander.d.ts): the
// same code, with its Node built-ins loaded on first use, because loading npm:commander starts
// Deno's Node compatibility layer, ~25 ms of every invocation (docs/BENCHMARKS.md, Startup).

export {
  Argument,
  Command,
  CommanderError,
  Help,
  InvalidArgumentError,
  Option,
} from "./commander.js";

export type { EventSourceMessage } from "npm:eventsource-parser@4.1.3";

/** eventsource-parser (`createParser`, `EventSourceParserStream`). */
export async function loadEventSourceParser(): Promise<
  typeof import("npm:eventsource-parser@4.1.3")
> {
  return await import("npm:eventsource-parser@4.1.3");
}

/** The `yaml` package. */
export async function loadYaml(): Promise<typeof import("npm:yaml@2.9.1")> {
  return await import("npm:yaml@2.9.1");
}

/** `string-width`: terminal display width (East Asian wide = 2, ANSI ignored). */
export async function loadStringWidth(): Promise<typeof import("npm:string-width@8.3.0")> {
  return await import("npm:string-width@8.3.0");
}

/** dockerfile-ast: the Dockerfile parser of the VS Code Docker language server (`build`). */
export async function loadDockerfileAst(): Promise<typeof import("npm:dockerfile-ast@0.7.1")> {
  return await import("npm:dockerfile-ast@0.7.1");
}
