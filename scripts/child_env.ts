// The part of our environment a child started with `clearEnv` must keep to reach the network as
// we do: TLS trust and proxy settings. A cold Deno cache fetches npm metadata, and without these
// a machine behind a private CA or a proxy fails with "invalid peer certificate".

const NETWORK_VARIABLES = [
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
] as const;

/** The TLS and proxy variables that are set here (and nothing else). */
export function networkEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of NETWORK_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
