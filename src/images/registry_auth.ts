// Registry credentials for imports (the MCP tools registry_token_obtain and registry_auth, as
// contree-mcp has them): which registry a reference names, where its access tokens are made,
// checking a username and token against the registry itself (OCI distribution spec: the /v2/
// challenge, then the token endpoint with Basic credentials), and keeping them in a 0600 file of
// the config directory, one entry per registry host.

import { ContreeError } from "../errors.ts";
import { writePrivateFile } from "../files.ts";
import { normaliseRegistryUrl } from "./registry.ts";
import { bytesToBase64 } from "../api/stream_repr.ts";

/** Where a person creates a read-only access token, for the registries that are known. */
export const TOKEN_PAGES: Readonly<Record<string, string>> = {
  "docker.io": "https://app.docker.com/settings/personal-access-tokens",
  "ghcr.io": "https://github.com/settings/tokens?type=beta",
  "registry.gitlab.com": "https://gitlab.com/-/user_settings/personal_access_tokens",
  "gcr.io": "https://console.cloud.google.com/apis/credentials",
  "us.gcr.io": "https://console.cloud.google.com/apis/credentials",
  "eu.gcr.io": "https://console.cloud.google.com/apis/credentials",
  "asia.gcr.io": "https://console.cloud.google.com/apis/credentials",
};

/** Registries whose API is served from another host. */
const API_HOSTS: Readonly<Record<string, string>> = { "docker.io": "registry-1.docker.io" };

/** A host with a dot (or `localhost`) and maybe a port, and nothing after it. */
const BARE_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+|localhost)(?::\d+)?$/i;

/**
 * The registry host (with its port) of a reference: `docker://ghcr.io/o/i:t` → `ghcr.io`,
 * `oci://localhost:5000/i` → `localhost:5000`, `alpine` → `docker.io`.
 */
export function registryHost(ref: string): string {
  // A registry named alone (`ghcr.io`, `localhost:5000`): a host, where as an image reference
  // (`ubuntu:22.04`) a first name is one only before a `/`.
  if (BARE_HOST.test(ref)) return ref.toLowerCase();
  const url = normaliseRegistryUrl(ref.replace(/^oci:\/\//, "docker://"));
  if (!url.startsWith("docker://")) {
    throw new ContreeError(`'${ref}' does not name a registry (docker://HOST/IMAGE or a name)`);
  }
  const host = url.slice("docker://".length).split("/")[0].toLowerCase();
  if (!host) throw new ContreeError(`'${ref}' does not name a registry host`);
  return host;
}

export interface RegistryCredential {
  username: string;
  token: string;
  created_at: string;
}

/** A registry's `WWW-Authenticate` challenge: `Bearer realm="…",service="…"` or `Basic …`. */
function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } {
  const text = (header ?? "").trim();
  const space = text.indexOf(" ");
  const scheme = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of text.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) {
    params[match[1].toLowerCase()] = match[2];
  }
  return { scheme, params };
}

export type TokenCheck = "valid" | "invalid";

/**
 * Whether the registry accepts `username` and `token`: its `/v2/` answers with a challenge; for
 * `Bearer`, its token endpoint must give a token for them; for `Basic`, `/v2/` must accept them.
 * A registry that cannot be reached or answers otherwise is an error, not "invalid".
 */
export async function checkRegistryToken(
  fetch: typeof globalThis.fetch,
  host: string,
  username: string,
  token: string,
): Promise<TokenCheck> {
  const base = `https://${API_HOSTS[host] ?? host}/v2/`;
  const basic = `Basic ${bytesToBase64(new TextEncoder().encode(`${username}:${token}`))}`;
  const get = async (url: string, authorization?: string) => {
    try {
      const response = await fetch(url, {
        headers: authorization ? { Authorization: authorization } : {},
        signal: AbortSignal.timeout(30_000),
      });
      await response.body?.cancel();
      return response;
    } catch (error) {
      throw new ContreeError(`Cannot reach the registry ${host}: ${(error as Error).message}`);
    }
  };
  const challenge = await get(base);
  if (challenge.status === 200) return "valid"; // this registry asks for no credentials
  if (challenge.status !== 401) {
    throw new ContreeError(`The registry ${host} answered ${challenge.status} to /v2/`);
  }
  const { scheme, params } = parseChallenge(challenge.headers.get("www-authenticate"));
  let answer: Response;
  if (scheme === "bearer" && params.realm) {
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set("service", params.service);
    answer = await get(realm.href, basic);
  } else if (scheme === "basic") {
    answer = await get(base, basic);
  } else {
    throw new ContreeError(`The registry ${host} asks for an authentication this does not know`);
  }
  if (answer.status === 200) return "valid";
  if (answer.status === 401 || answer.status === 403) return "invalid";
  throw new ContreeError(`The registry ${host} answered ${answer.status} to the credentials`);
}

/** The credentials file: `{"registries": {HOST: {username, token, created_at}}}`, mode 0600. */
export class RegistryCredentials {
  constructor(private readonly path: string) {}

  async #read(): Promise<Record<string, RegistryCredential>> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return {};
      throw new ContreeError(`Cannot read the registry credentials: ${(error as Error).message}`);
    }
    try {
      const registries = JSON.parse(text)?.registries;
      return typeof registries === "object" && registries !== null ? registries : {};
    } catch {
      throw new ContreeError("The registry credentials file is not valid JSON");
    }
  }

  async get(host: string): Promise<RegistryCredential | undefined> {
    const entry = (await this.#read())[host];
    return typeof entry?.username === "string" && typeof entry.token === "string"
      ? entry
      : undefined;
  }

  async put(host: string, credential: RegistryCredential): Promise<void> {
    await this.#write({ ...await this.#read(), [host]: credential });
  }

  async delete(host: string): Promise<void> {
    const registries = await this.#read();
    if (!(host in registries)) return;
    delete registries[host];
    await this.#write(registries);
  }

  #write(registries: Record<string, RegistryCredential>): Promise<void> {
    return writePrivateFile(this.path, JSON.stringify({ registries }, null, 2) + "\n");
  }
}
