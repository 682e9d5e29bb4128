// The local server's request handler (API spec §2): the bearer token, then one route module per
// resource under src/server/routes/, errors as JSON bodies, gzip when the client accepts it.

import { HttpError } from "./errors.ts";
import { acceptsGzip, bearerMatches, errorReply, type Reply, Router, toResponse } from "./http.ts";
import { type ApiDeps, Resources } from "./routes/common.ts";
import { fileRoutes } from "./routes/files.ts";
import { imageRoutes } from "./routes/images.ts";
import { inspectRoutes } from "./routes/inspect.ts";
import { operationRoutes } from "./routes/operations.ts";
import { whoamiRoutes } from "./routes/whoami.ts";

export type { ApiDeps };

/** The request handler of the server. */
export function createApi(deps: ApiDeps): (request: Request) => Promise<Response> {
  const router = new Router();
  const resources = new Resources(deps);
  whoamiRoutes(router, deps);
  imageRoutes(router, deps, resources);
  fileRoutes(router, deps);
  operationRoutes(router, deps, resources);
  inspectRoutes(router, deps, resources);

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const gzip = acceptsGzip(request);
    let reply: Reply;
    try {
      if (!bearerMatches(request.headers.get("authorization"), deps.token)) {
        throw new HttpError(401, "missing or invalid token", { "WWW-Authenticate": "Bearer" });
      }
      const { handler, params } = router.match(request.method, url.pathname);
      reply = await handler({ request, url, query: url.searchParams, params });
    } catch (error) {
      reply = errorReply(error);
      if (!(error instanceof HttpError)) {
        deps.log.error(`${request.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
      } else if (error.status >= 500) {
        const cause = error.cause instanceof Error ? error.cause.message : error.cause;
        deps.log.error(`${request.method} ${url.pathname}: ${error.message}: ${cause ?? ""}`);
      }
    }
    try {
      return await toResponse(reply, gzip, request.method);
    } catch (error) {
      // A streamed body failed at its first chunk (e.g. the file could not be read).
      deps.log.error(`${request.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
      return await toResponse(errorReply(error), gzip, request.method);
    }
  };
}
