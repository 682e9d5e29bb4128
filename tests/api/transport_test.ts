// The stream transport (node:http(s) + node:zlib) keeps fetch's contract: inflated bodies with
// the headers as sent, broken bodies fail with a TypeError, aborts carry the signal's reason;
// where a proxy applies the client keeps fetch; TLS trusts DENO_CERT and NODE_EXTRA_CA_CERTS.

import { ContreeClient } from "../../src/api/client.ts";
import {
  nodeStreamFetch,
  proxyFor,
  requestTransportFor,
  streamTransportFor,
} from "../../src/api/transport.ts";
import { envFromRecord } from "../../src/env.ts";
import { MemorySink } from "../../src/io.ts";
import { Logger } from "../../src/log.ts";
import { networkEnv } from "../../scripts/child_env.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { FakeClock } from "../support/context.ts";
import { FakeApi } from "../support/fake_api.ts";

const env = (record: Record<string, string>) => envFromRecord(record);

Deno.test("proxyFor: the variable fetch would use, minus NO_PROXY hosts", () => {
  const http = new URL("http://api.example.com:8080/v1");
  const https = new URL("https://api.example.com/v1");
  assertEquals(proxyFor(http, env({})), undefined);
  assertEquals(proxyFor(http, env({ HTTP_PROXY: "http://p:3128" })), "http://p:3128");
  assertEquals(proxyFor(http, env({ http_proxy: "http://p:3128" })), "http://p:3128");
  assertEquals(proxyFor(https, env({ HTTP_PROXY: "http://p:3128" })), undefined);
  assertEquals(proxyFor(https, env({ HTTPS_PROXY: "http://p:3128" })), "http://p:3128");
  assertEquals(proxyFor(https, env({ ALL_PROXY: "socks5://p:1080" })), "socks5://p:1080");
  const proxied = { HTTPS_PROXY: "http://p:3128", HTTP_PROXY: "http://p:3128" };
  for (const noProxy of ["*", "api.example.com", ".example.com", "example.com", "x, example.com"]) {
    assertEquals(proxyFor(https, env({ ...proxied, NO_PROXY: noProxy })), undefined, noProxy);
  }
  assertEquals(proxyFor(http, env({ ...proxied, no_proxy: "api.example.com:8080" })), undefined);
  for (const noProxy of ["ample.com", "api.example.com:9090", "10.0.0.0/8", "other.org"]) {
    assertEquals(proxyFor(http, env({ ...proxied, NO_PROXY: noProxy })), "http://p:3128", noProxy);
  }
});

Deno.test("streamTransportFor: fetch wherever a proxy or a fetch-only TLS setting applies", () => {
  const http = new URL("http://127.0.0.1:1234");
  const https = new URL("https://api.example.com");
  assertEquals(streamTransportFor(http, env({})), nodeStreamFetch);
  assertEquals(streamTransportFor(https, env({ DENO_CERT: "/ca.pem" })), nodeStreamFetch);
  assertEquals(streamTransportFor(http, env({ HTTP_PROXY: "http://p:1" })), undefined);
  assertEquals(streamTransportFor(https, env({ HTTPS_PROXY: "http://p:1" })), undefined);
  assertEquals(streamTransportFor(https, env({ DENO_TLS_CA_STORE: "system" })), undefined);
  assertEquals(streamTransportFor(http, env({ DENO_TLS_CA_STORE: "system" })), nodeStreamFetch);
  const both = { DENO_CERT: "/a.pem", NODE_EXTRA_CA_CERTS: "/b.pem" };
  assertEquals(streamTransportFor(https, env(both)), undefined, "node:https would drop DENO_CERT");
  assertEquals(streamTransportFor(http, env(both)), nodeStreamFetch);
});

Deno.test("requests to a plain-http server open a connection each; https keeps the pool", async () => {
  // A server counting the connections it accepts (keep-alive answers, headers then body).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      connections++;
      (async () => {
        const buffer = new Uint8Array(4096);
        try {
          while ((await conn.read(buffer)) !== null) {
            await conn.write(
              new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"),
            );
            await conn.write(new TextEncoder().encode("ok"));
          }
        } catch { /* the client went away */ }
        conn.close();
      })();
    }
  })();
  const url = `http://127.0.0.1:${listener.addr.port}/`;
  const transport = requestTransportFor(new URL(url), fetch);
  try {
    for (let i = 0; i < 5; i++) assertEquals(await (await transport.fetch(url)).text(), "ok");
    assertEquals(connections, 5, "one connection per request");
    connections = 0;
    for (let i = 0; i < 5; i++) assertEquals(await (await fetch(url)).text(), "ok");
    assertEquals(connections, 1, "plain fetch reuses its connection");
  } finally {
    transport.close();
    listener.close();
    await serving.catch(() => {});
  }
  const https = requestTransportFor(new URL("https://api.example.com"), fetch);
  assertEquals(https.fetch, fetch);
});

async function withFake(fn: (fake: FakeApi) => Promise<void>) {
  const fake = FakeApi.start();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

const GZIP = { "accept-encoding": "gzip", authorization: "Bearer fake-token" };

Deno.test("stream transport: a gzip body arrives inflated, status and headers as sent", () =>
  withFake(async (fake) => {
    const text = "line of output\n".repeat(50_000);
    fake.on("GET", "/v1/blob", () => ({
      status: 202,
      text,
      headers: { "x-one": "1", "content-type": "text/plain" },
    }));
    const response = await nodeStreamFetch(`${fake.url}/v1/blob`, { headers: GZIP });
    assertEquals(response.status, 202);
    assertEquals(response.statusText, "Accepted");
    assertEquals(response.headers.get("content-encoding"), "gzip");
    assertEquals(response.headers.get("x-one"), "1");
    assertEquals(await response.text(), text);
    assertEquals(fake.requests[0].headers.get("accept-encoding"), "gzip");

    fake.on("GET", "/v1/plain", () => ({ text: "identity", identity: true }));
    const plain = await nodeStreamFetch(`${fake.url}/v1/plain`, { headers: GZIP });
    assertEquals([plain.headers.get("content-encoding"), await plain.text()], [null, "identity"]);

    fake.on("GET", "/v1/empty", () => ({ status: 204 }));
    const empty = await nodeStreamFetch(`${fake.url}/v1/empty`, { headers: GZIP });
    assertEquals([empty.status, empty.body], [204, null]);
  }));

Deno.test("stream transport: a cut gzip body and a dropped connection fail reading with TypeError", () =>
  withFake(async (fake) => {
    const text = "x".repeat(10_000);
    fake.on("GET", "/v1/cut", () => ({ text, truncateGzip: true }));
    fake.on("GET", "/v1/drop", () => ({ text, dropBody: true, identity: true }));
    fake.on(
      "GET",
      "/v1/events",
      () => ({ events: [{ frame: { id: 0, type: "init" } }, { drop: true }] }),
    );
    for (const path of ["/v1/cut", "/v1/drop", "/v1/events"]) {
      const response = await nodeStreamFetch(`${fake.url}${path}`, { headers: GZIP });
      await assertRejects(() => response.text(), TypeError);
    }
  }));

Deno.test("stream transport: refused connections reject with TypeError; aborts with the reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assertRejects(() => nodeStreamFetch(`http://127.0.0.1:${port}/`), TypeError);

  await withFake(async (fake) => {
    const reason = new Error("interrupted");
    const before = new AbortController();
    before.abort(reason);
    const early = await nodeStreamFetch(`${fake.url}/v1/x`, { signal: before.signal })
      .then(() => undefined, (error) => error);
    assertEquals(early, reason);

    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    fake.on("GET", "/v1/slow", () => ({
      events: [{ frame: { id: 0, type: "init" } }, { waitFor: held }],
    }));
    const controller = new AbortController();
    const response = await nodeStreamFetch(`${fake.url}/v1/slow`, {
      headers: GZIP,
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    assert((await reader.read()).value!.length > 0, "the first frame arrives before the rest");
    controller.abort(reason);
    const failure = await reader.read().then(() => undefined, (error) => error);
    assertEquals(failure, reason);
    release();
  });
});

/** A client whose transports record what they carried ("stream|fetch path accept-encoding"). */
function recordingClient(
  url: string,
  used: string[],
  { stderr = new MemorySink(), token = "t0ken", local = false } = {},
) {
  const record = (name: string, send: typeof fetch): typeof fetch => (input, init) => {
    const encoding = new Headers(init?.headers).get("accept-encoding");
    used.push(`${name} ${new URL(String(input)).pathname} ${encoding}`);
    return send(input, init);
  };
  const canned: typeof fetch = () =>
    Promise.resolve(new Response(JSON.stringify({}), { status: 200 }));
  const remote = !url.startsWith("http://127.0.0.1");
  return new ContreeClient({ url, token, type: "jwt" }, {
    fetch: record("fetch", remote ? canned : fetch),
    streamFetch: record("stream", remote ? canned : nodeStreamFetch),
    local,
    clock: new FakeClock(),
    log: new Logger(stderr, "debug"),
    userAgent: "test",
  });
}

Deno.test("client: long bodies from a server elsewhere are gzip'd; those read in JavaScript stream", async () => {
  const used: string[] = [];
  const client = recordingClient("https://api.example.test", used);
  await (await client.download("img", "/etc/f", { stream: true })).text();
  await (await client.download("img", "/etc/f")).text();
  await (await client.archive("img", "/etc")).text();
  await (await client.openEvents("op")).text();
  await client.whoami();
  assertEquals(used, [
    "stream /v1/inspect/img/download gzip",
    "fetch /v1/inspect/img/download gzip",
    "fetch /v1/inspect/img/archive gzip",
    "stream /v1/operations/op/events gzip",
    "fetch /v1/whoami gzip",
  ]);
});

Deno.test("client: long bodies from the local server come uncompressed through fetch; logs redacted", () =>
  withFake(async (fake) => {
    const asked = (request: { headers: Headers }) =>
      `asked as ${request.headers.get("accept-encoding")}`;
    fake.on(
      "GET",
      "/v1/inspect/:uuid/download",
      (request) => ({ text: `file, ${asked(request)}` }),
    );
    fake.on("GET", "/v1/inspect/:uuid/archive", (request) => ({ text: `tar, ${asked(request)}` }));
    fake.on(
      "GET",
      "/v1/operations/:uuid/events",
      (request) => ({ text: `events, ${asked(request)}` }),
    );
    const stderr = new MemorySink();
    const used: string[] = [];
    const client = recordingClient(fake.url, used, { stderr, token: fake.token, local: true });
    const texts = [
      await (await client.download("img", "/etc/f", { stream: true })).text(),
      await (await client.archive("img", "/etc")).text(),
      await (await client.openEvents("op")).text(),
    ];
    assertEquals(texts, [
      "file, asked as identity",
      "tar, asked as identity",
      "events, asked as identity",
    ]);
    await client.whoami();
    assertEquals(used, [
      "fetch /v1/inspect/img/download identity",
      "fetch /v1/inspect/img/archive identity",
      "fetch /v1/operations/op/events identity",
      "fetch /v1/whoami gzip",
    ]);
    assertStringIncludes(stderr.text(), "Authorization: <redacted>");
    assert(!stderr.text().includes(fake.token), "the token never reaches a log");

    // The same loopback address as another profile (a tunnel, say): gzip, the stream transport.
    used.length = 0;
    const other = recordingClient(fake.url, used, { token: fake.token });
    assertEquals(await (await other.openEvents("op")).text(), "events, asked as gzip");
    assertEquals(used, ["stream /v1/operations/op/events gzip"]);
  }));

/** Runs `code` in a fresh Deno with `extra` in its environment; returns its stdout. */
async function inChild(code: string, extra: Record<string, string>): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...extra },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim() ||
    new TextDecoder().decode(output.stderr).trim();
}

Deno.test("over TLS the chosen transport trusts DENO_CERT and NODE_EXTRA_CA_CERTS, like fetch", async () => {
  const tls = new URL("../support/tls/", import.meta.url);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(new URL("server.pem", tls)),
    key: await Deno.readTextFile(new URL("server.key", tls)),
    onListen: () => {},
  }, () => new Response("secure bytes"));
  try {
    const module = new URL("../../src/api/transport.ts", import.meta.url).href;
    const code = `
      const { nodeStreamFetch, streamTransportFor } = await import(${JSON.stringify(module)});
      const url = "https://localhost:${server.addr.port}/";
      const chosen = streamTransportFor(new URL(url), Deno.env);
      const name = chosen === nodeStreamFetch ? "node" : "fetch";
      try { console.log(name, await (await (chosen ?? fetch)(url)).text()); }
      catch { console.log(name, "refused"); }`;
    const ca = new URL("ca.pem", tls).pathname;
    const bare = { ...networkEnv() };
    delete bare.NODE_EXTRA_CA_CERTS;
    delete bare.DENO_CERT;
    assertEquals(await inChild(code, bare), "node refused", "no trust, no bytes");
    assertEquals(await inChild(code, { ...bare, DENO_CERT: ca }), "node secure bytes");
    assertEquals(await inChild(code, { ...bare, NODE_EXTRA_CA_CERTS: ca }), "node secure bytes");
    // node:https would read only NODE_EXTRA_CA_CERTS: fetch carries the stream then.
    assertEquals(
      await inChild(code, {
        ...bare,
        DENO_CERT: ca,
        NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
      }),
      "fetch secure bytes",
    );
  } finally {
    await server.shutdown();
  }
});
