// registry_token_obtain, registry_auth and the credentials import_image then sends, in-process
// (the SDK's in-memory transport) against an OCI registry's authentication on 127.0.0.1 over
// TLS (the test CA): a Bearer registry with a token endpoint, and a Basic one.

import { RegistryCredentials } from "../../src/images/registry_auth.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { testContext } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";
import { callTool, inProcessMcp } from "../support/mcp.ts";

const TLS = new URL("../support/tls/", import.meta.url);

/** A registry's authentication: `/v2/` challenges; good credentials are alice / `good`. */
async function startRegistry(scheme: "bearer" | "basic") {
  let good = `Basic ${btoa("alice:good")}`;
  const seen: string[] = [];
  let origin = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(new URL("server.pem", TLS)),
    key: await Deno.readTextFile(new URL("server.key", TLS)),
    onListen: () => {},
  }, (request) => {
    const url = new URL(request.url);
    const authorization = request.headers.get("authorization") ?? "";
    seen.push(`${url.pathname}${url.search}`);
    if (url.pathname === "/v2/") {
      if (scheme === "basic" && authorization === good) return new Response("{}");
      const challenge = scheme === "bearer"
        ? `Bearer realm="${origin}/token",service="fake-registry"`
        : `Basic realm="fake-registry"`;
      return new Response("{}", { status: 401, headers: { "WWW-Authenticate": challenge } });
    }
    if (url.pathname === "/token" && url.searchParams.get("service") === "fake-registry") {
      return authorization === good
        ? Response.json({ token: "registry-bearer" })
        : new Response("{}", { status: 401 });
    }
    return new Response("not found", { status: 404 });
  });
  origin = `https://localhost:${server.addr.port}`;
  return {
    host: `localhost:${server.addr.port}`,
    seen,
    revoke: () => good = "revoked",
    close: () => server.shutdown(),
  };
}

async function withMcp(
  fn: (mcp: {
    call: (name: string, args: Record<string, unknown>) => Promise<Record<string, unknown>>;
    api: FakeApi;
    credentials: string;
  }) => Promise<void>,
): Promise<void> {
  const ctx = testContext({ logLevel: "critical" });
  const tls = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(new URL("ca.pem", TLS))],
  });
  ctx.fetch = (input, init) => fetch(input, { ...init, client: tls });
  const api = FakeApi.start();
  api.on("POST", "/v1/images/import", () => ({
    status: 201,
    json: { uuid: "11111111-2222-3333-4444-555555555555", status: "PENDING" },
  }));
  const mcp = await inProcessMcp({ apiUrl: api.url, token: api.token, ctx });
  try {
    await fn({
      call: async (name, args) => {
        const result = await callTool(mcp.client, name, args);
        assert(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
        return result.structuredContent as Record<string, unknown>;
      },
      api,
      credentials: `${mcp.dir}/registries.json`,
    });
  } finally {
    await mcp.close();
    await api.close();
    tls.close();
  }
}

function importBodies(api: FakeApi): Record<string, unknown>[] {
  return api.requests.filter((r) => r.path === "/v1/images/import")
    .map((r) => JSON.parse(new TextDecoder().decode(r.body)));
}

Deno.test("mcp registry_token_obtain: the token page of a known registry; an unknown one says so", () =>
  withMcp(async ({ call }) => {
    const known = await call("registry_token_obtain", { registry_url: "docker://ghcr.io/o/i:1" });
    assertEquals(known.status, "success");
    assertEquals(known.registry, "ghcr.io");
    assertEquals(known.url, "https://github.com/settings/tokens?type=beta");
    assertStringIncludes(String(known.agent_instruction), "STOP HERE");
    const hub = await call("registry_token_obtain", { registry_url: "python:3.12" });
    assertEquals(hub.registry, "docker.io");
    // A registry named alone, as the tool's description offers (was: read as a Docker Hub
    // image, so a GitHub token went to docker.io).
    for (const name of ["ghcr.io", "registry.gitlab.com", "localhost:5000", "reg.example:5000"]) {
      const bare = await call("registry_token_obtain", { registry_url: name });
      assertEquals(bare.registry, name);
    }
    assertEquals(
      (await call("registry_token_obtain", { registry_url: "ubuntu:22.04" })).registry,
      "docker.io",
    );
    const unknown = await call("registry_token_obtain", {
      registry_url: "oci://localhost:5000/team/app",
    });
    assertEquals([unknown.status, unknown.registry], ["error", "localhost:5000"]);
  }));

for (const scheme of ["bearer", "basic"] as const) {
  Deno.test(`mcp registry_auth (${scheme}): checked with the registry, kept 0600, sent with imports; a revoked token is forgotten`, async () => {
    const registry = await startRegistry(scheme);
    try {
      await withMcp(async ({ call, api, credentials }) => {
        const image = `docker://${registry.host}/team/app:1`;
        const refused = await call("registry_auth", {
          registry_url: image,
          username: "alice",
          token: "wrong",
        });
        assertEquals([refused.status, refused.registry], ["error", registry.host]);
        assertStringIncludes(String(refused.message), "Invalid credentials");
        assertEquals(await Deno.stat(credentials).catch(() => undefined), undefined);

        const accepted = await call("registry_auth", {
          registry_url: image,
          username: "alice",
          token: "good",
        });
        assertEquals(accepted.status, "success");
        assert(!JSON.stringify(accepted).includes("good"), "the answer does not echo the token");
        assertEquals((await Deno.stat(credentials)).mode! & 0o777, 0o600);
        const kept = JSON.parse(await Deno.readTextFile(credentials)).registries[registry.host];
        assertEquals([kept.username, kept.token], ["alice", "good"]);

        await call("import_image", { registry_url: image, wait: false });
        // Another registry's import goes without them.
        await call("import_image", { registry_url: "docker://ghcr.io/o/i:1", wait: false });
        registry.revoke();
        await call("import_image", { registry_url: image, wait: false });
        const bodies = importBodies(api);
        assertEquals(bodies.map((body) => (body.registry as Record<string, unknown>).credentials), [
          { username: "alice", password: "good" },
          undefined,
          undefined,
        ]);
        const left = JSON.parse(await Deno.readTextFile(credentials)).registries;
        assertEquals(left, {}, "the refused token is forgotten");
        if (scheme === "bearer") {
          assert(registry.seen.includes("/token?service=fake-registry"), registry.seen.join(" "));
        }
      });
    } finally {
      await registry.close();
    }
  });
}

Deno.test("mcp import_image: kept credentials of a registry this host cannot reach are sent as kept", () =>
  withMcp(async ({ call, api, credentials }) => {
    // Nothing listens on port 9: the server may reach what this host cannot.
    await new RegistryCredentials(credentials).put("127.0.0.1:9", {
      username: "bob",
      token: "kept",
      created_at: "2026-12-01T00:00:00.000Z",
    });
    await call("import_image", { registry_url: "docker://127.0.0.1:9/team/app:1", wait: false });
    const [body] = importBodies(api);
    assertEquals((body.registry as Record<string, unknown>).credentials, {
      username: "bob",
      password: "kept",
    });
  }));
