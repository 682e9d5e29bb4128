// `GET /v1/whoami` (API spec §3.1): the token, its permissions and limits, operation counts.

import type { Router } from "../http.ts";
import { whoamiLimits } from "../limits.ts";
import type { ApiDeps } from "./common.ts";

const PERMISSIONS = ["spawn", "spawn_disposable", "list", "import", "cancel", "set_image_tag"];

export function whoamiRoutes(router: Router, deps: ApiDeps): void {
  router.on("GET", "/v1/whoami", () => ({
    json: {
      token_uuid: deps.tokenUuid,
      token_expiration: null,
      permissions: Object.fromEntries(PERMISSIONS.map((name) => [name, true])),
      limits: { instance_max_timeout: deps.maxTimeout, ...whoamiLimits(deps.limits) },
      operations_stat: deps.store.operationCounts(),
    },
  }));
}
