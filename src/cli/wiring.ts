// Builds the narrow ports the command bodies declare (run, the operation namespace, the session,
// auth, task and mcp commands) from the App: the only place besides the registrars that knows it.

import { resolveImageRef } from "../api/image_ref.ts";
import { displayUrl } from "../sse/contact.ts";
import type { NamespaceDeps, OperationCache } from "../operations/namespace.ts";
import type { RunDeps } from "../operations/run.ts";
import type { AuthDeps } from "../auth/commands.ts";
import type { GuideSection, McpDeps } from "../mcp/deps.ts";
import { RegistryCredentials } from "../images/registry_auth.ts";
import { imageCache, NO_OPERATION_CACHE, operationCache, runSession } from "../session/adapters.ts";
import type { SessionDeps } from "../session/deps.ts";
import { resolveOperationRefsLazily } from "../session/refs.ts";
import type { TaskCommandDeps } from "../tasks/commands.ts";
import type { ProjectCommandDeps } from "../tasks/project_commands.ts";
import type { App } from "./app.ts";
import type { Handler } from "./root.ts";
import { formatApiTime, parseTimeFilter } from "../time_filter.ts";
import { cliVersion } from "../version.ts";

export async function runDeps(app: App): Promise<RunDeps> {
  const store = await app.store();
  const client = app.client();
  return {
    ctx: app.ctx,
    client,
    session: runSession(store, await app.sessionKey(), displayUrl(client)),
    format: app.globals.format,
    output: () => app.output(),
    resolveImage: (ref) => resolveImageRef(client, ref),
    async uploadFiles(files, refresh) {
      const paths = files.map((file) => file.hostPath);
      const { ensureFiles } = await import("../api/upload.ts");
      const ensured = await ensureFiles(client, imageCache(store), paths, {
        concurrency: app.concurrency(),
        cwd: app.ctx.cwd,
        refresh,
      });
      return new Map(ensured.map((file, i) => [paths[i], file.uuid]));
    },
  };
}

/** Deps of the operation namespace; the session store opens only when refs or the cache need it. */
export function namespaceDeps(app: App): NamespaceDeps {
  let cache: Promise<OperationCache> | undefined;
  return {
    ctx: app.ctx,
    client: app.client(),
    format: app.globals.format,
    output: (order) => app.output(order),
    cache: () =>
      cache ??= app.optionalStore().then((store) =>
        store ? operationCache(store) : NO_OPERATION_CACHE
      ),
    resolveRefs: async (tokens) =>
      resolveOperationRefsLazily(() => app.store(), await app.sessionKey(), tokens),
    concurrency: app.concurrency(),
  };
}

export function sessionDeps(app: App): SessionDeps {
  return {
    ctx: app.ctx,
    store: () => app.store(),
    sessionKey: () => app.sessionKey(),
    client: () => app.client(),
    format: app.globals.format,
    output: (order) => app.output(order),
    concurrency: app.concurrency(),
    configuredEditor: app.config.cliDefaults().get("editor"),
  };
}

/** A session command body with its port. */
export function sessionHandler(body: (deps: SessionDeps) => Promise<number | void>): Handler {
  return (app) => body(sessionDeps(app));
}

export function authDeps(app: App): AuthDeps {
  return {
    ctx: app.ctx,
    config: app.config,
    activeProfile: app.profileName(),
    whoami: (profile, options) => app.clientFor(profile, options).whoami(),
    output: () => app.output(),
  };
}

/** Deps of the task commands: podman from the environment, stopped by Ctrl-C. */
export async function taskCommandDeps(app: App): Promise<TaskCommandDeps> {
  const { CommandPodmanRunner, podmanOptionsFrom } = await import("../podman.ts");
  return {
    ctx: app.ctx,
    podman: new CommandPodmanRunner({ ...podmanOptionsFrom(app.ctx.env), signal: app.ctx.signal }),
    format: app.globals.format,
    color: app.stdoutMode().color,
    output: (order) => app.output(order),
  };
}

export function projectCommandDeps(app: App): ProjectCommandDeps {
  return { ctx: app.ctx, format: app.globals.format, output: () => app.output() };
}

/** A `--since`/`--until` value as the API expects it. */
export function timeFilter(
  app: App,
  value: string | undefined,
  option = "--since",
): string | undefined {
  return value === undefined
    ? undefined
    : formatApiTime(parseTimeFilter(value, app.ctx.clock.now(), option));
}

/** Deps of `contree mcp`: the store, the client and the session key open on first use. */
export function mcpDeps(app: App, guides: GuideSection[]): McpDeps {
  return {
    ctx: app.ctx,
    client: () => app.client(),
    store: () => app.store(),
    sessionKey: () => app.sessionKey(),
    registryCredentials: () => new RegistryCredentials(`${app.paths.home}/registries.json`),
    guides,
    concurrency: app.concurrency(),
    version: cliVersion(),
  };
}
