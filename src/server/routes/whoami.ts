// `GET /v1/whoami` (API spec §3.1): the token, its permissions and limits, operation counts.

import { INSTANCE_HEADER } from "../home.ts";
import type { Router } from "../http.ts";
import { whoamiLimits } from "../limits.ts";
import type { ApiDeps } from "./common.ts";

const PERMISSIONS = ["spawn", "spawn_disposable", "list", "import", "cancel", "set_image_tag"];

/** The output caps of this server (bytes). */
function outputLimits(deps: ApiDeps): Record<string, number> {
  return {
    instance_max_truncate_output_at: deps.maxOutput,
    operation_max_output: deps.maxLogOutput,
    request_max_body: deps.maxRequestBody,
  };
}

export function whoamiRoutes(router: Router, deps: ApiDeps): void {
  router.on("GET", "/v1/whoami", () => ({
    json: {
      token_uuid: deps.tokenUuid,
      token_expiration: null,
      permissions: Object.fromEntries(PERMISSIONS.map((name) => [name, true])),
      limits: {
        instance_max_timeout: deps.maxTimeout,
        ...whoamiLimits(deps.limits),
        ...outputLimits(deps),
      },
      operations_stat: deps.store.operationCounts(),
    },
    headers: { [INSTANCE_HEADER]: `${Deno.pid}/${deps.instance}` },
  }));
}
