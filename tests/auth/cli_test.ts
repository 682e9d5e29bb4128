import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";

async function withFake(fn: (fake: FakeApi, home: string) => Promise<void>): Promise<void> {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  try {
    await fn(fake, home);
  } finally {
    await fake.close();
    await cleanup();
  }
}

Deno.test("auth registers a verified profile, 0600, active, token never printed", () =>
  withFake(async (fake, home) => {
    const result = await runCli(
      ["auth", "--type", "jwt", "--url", `${fake.url}/`, "--token", fake.token, "-p", "work"],
      { env: { CONTREE_HOME: home } },
    );
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "");
    assertStringIncludes(result.stderr, "[INFO] Setting token for profile 'work' (type: jwt)");
    assertStringIncludes(
      result.stderr,
      `[INFO] auth accepted, profile 'work' saved to -> ${home}/auth.ini`,
    );
    assert(!result.stderr.includes(fake.token));
    assertEquals(fake.calls("GET", "/v1/whoami").length, 1);
    const text = await Deno.readTextFile(`${home}/auth.ini`);
    assertEquals(
      text,
      `[DEFAULT]\nprofile = work\n\n[profile:work]\ntoken = ${fake.token}\nurl = ${fake.url}\ntype = jwt\n\n`,
    );
    assertEquals((await Deno.stat(`${home}/auth.ini`)).mode! & 0o777, 0o600);
  }));

Deno.test("auth with a rejected token changes nothing and exits 4", () =>
  withFake(async (fake, home) => {
    const result = await runCli(["auth", "--type", "jwt", "--url", fake.url, "--token", "wrong"], {
      env: { CONTREE_HOME: home },
    });
    assertEquals(result.code, 4);
    assertStringIncludes(
      result.stderr,
      "[ERROR] Token verification failed: API 401 Unauthorized: invalid token. Profile not changed.",
    );
    assertEquals(result.stderr.trim().split("\n").filter((l) => l.startsWith("[ERROR]")).length, 1);
    await Deno.stat(`${home}/auth.ini`).then(
      () => assert(false, "auth.ini must not be written"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  }));

Deno.test("auth takes the token and URL from the environment, CONTREE_TOKEN before NEBIUS_API_KEY", () =>
  withFake(async (fake, home) => {
    const result = await runCli(["-p", "envy", "auth", "--type", "jwt"], {
      env: {
        CONTREE_HOME: home,
        CONTREE_URL: fake.url,
        CONTREE_TOKEN: fake.token,
        NEBIUS_API_KEY: "other",
      },
    });
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, "[INFO] Using token from CONTREE_TOKEN");
    assertStringIncludes(await Deno.readTextFile(`${home}/auth.ini`), "[profile:envy]");
    assertEquals(fake.requests[0].headers.get("authorization"), `Bearer ${fake.token}`);
  }));

Deno.test("--url and --token run a command without any profile, also with one from the environment; one alone does not", () =>
  withFake(async (fake, home) => {
    const env = { CONTREE_HOME: home };
    fake.on("GET", "/v1/operations", () => ({ json: [] }));
    const both = await runCli(["--url", fake.url, "--token", fake.token, "-f", "json", "ps"], {
      env,
    });
    assertEquals([both.code, both.stdout, both.stderr], [0, "", ""]);
    assertEquals(fake.requests.at(-1)?.headers.get("authorization"), `Bearer ${fake.token}`);
    const urlOnly = await runCli(["--url", fake.url, "ps"], { env });
    assertEquals(urlOnly.code, 4);
    assertStringIncludes(urlOnly.stderr, "Profile 'default' does not exist");
    // The missing half is named (it said only that no profile exists).
    assertStringIncludes(urlOnly.stderr, "(--url is set: give the token too");
    const variableOnly = await runCli(["ps"], { env: { ...env, CONTREE_URL: fake.url } });
    assertEquals(variableOnly.code, 4);
    assertStringIncludes(variableOnly.stderr, "(CONTREE_URL is set: give the token too");
    // A flag with the other half from the environment (a CI secret): was the same refusal.
    const withTokenVariable = await runCli(["--url", fake.url, "ps"], {
      env: { ...env, CONTREE_TOKEN: fake.token },
    });
    assertEquals([withTokenVariable.code, withTokenVariable.stderr], [0, ""]);
    const withUrlVariable = await runCli(["--token", fake.token, "ps"], {
      env: { ...env, CONTREE_URL: fake.url },
    });
    assertEquals([withUrlVariable.code, withUrlVariable.stderr], [0, ""]);
    await Deno.stat(`${home}/auth.ini`).then(
      () => assert(false, "auth.ini must not be written"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  }));

Deno.test("a token no HTTP header can carry is one error, never printed, never sent", () =>
  withFake(async (fake, home) => {
    const env = { CONTREE_HOME: home };
    const secret = "SECRETabc";
    for (const bad of [`${secret}\ndef`, `${secret}\rdef`, `${secret}\u2028def`]) {
      const result = await runCli(["--url", fake.url, "--token", bad, "ps"], { env });
      // Was: fetch's "Invalid header value" quoting the token, retried for 14 s, on stderr.
      assertEquals(result.code, 4, result.stderr);
      assertEquals(result.stdout, "");
      assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
      assertStringIncludes(result.stderr, "line break or a character an HTTP header cannot carry");
      assert(!result.stderr.includes(secret), result.stderr);
    }
    assertEquals(fake.requests.length, 0);
    // Spaces around the token (a pasted line) are no part of it.
    fake.on("GET", "/v1/operations", () => ({ json: [] }));
    const padded = await runCli(["--url", fake.url, "--token", ` ${fake.token}\n`, "ps"], { env });
    assertEquals(padded.code, 0, padded.stderr);
    assertEquals(fake.requests.at(-1)?.headers.get("authorization"), `Bearer ${fake.token}`);
  }));

Deno.test("auth of many profiles at the same moment keeps every one", () =>
  withFake(async (fake, home) => {
    const env = { CONTREE_HOME: home };
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const results = await Promise.all(
      names.map((name) =>
        runCli([
          "auth",
          "-p",
          name,
          "--type",
          "jwt",
          "--url",
          fake.url,
          "--token",
          fake.token,
          "-y",
        ], {
          env,
        })
      ),
    );
    for (const result of results) assertEquals(result.code, 0, result.stderr);
    // Was: each read auth.ini, added its profile and wrote it back: the last writer won.
    const listed = await runCli(["-f", "json", "auth", "ls", "-O"], { env });
    assertEquals(listed.code, 0, listed.stderr);
    const saved = listed.stdout.trim().split("\n").map((line) => JSON.parse(line).name).sort();
    assertEquals(saved, names);
  }));

Deno.test("auth asks before overwriting; anything but y aborts with exit 1", () =>
  withFake(async (fake, home) => {
    const args = ["auth", "--type", "jwt", "--url", fake.url, "--token", fake.token];
    assertEquals((await runCli(args, { env: { CONTREE_HOME: home } })).code, 0);
    const before = await Deno.readTextFile(`${home}/auth.ini`);

    const refused = await runCli(args, { env: { CONTREE_HOME: home }, stdin: "n\n" });
    assertEquals(refused.code, 1);
    assertEquals(refused.stdout, "Aborted.\n");
    assertStringIncludes(refused.stderr, "Profile 'default' already exists. Overwrite? [y/N] ");
    assertEquals(await Deno.readTextFile(`${home}/auth.ini`), before);

    const accepted = await runCli([...args, "--url", `${fake.url}/`], {
      env: { CONTREE_HOME: home },
      stdin: "y\n",
    });
    assertEquals(accepted.code, 0, accepted.stderr);
    assertStringIncludes(accepted.stderr, "[INFO] Updating token for profile 'default'");
    assertEquals((await runCli([...args, "-y"], { env: { CONTREE_HOME: home } })).code, 0);
  }));

Deno.test("auth warns when the token lacks the list permission but saves the profile", () =>
  withFake(async (fake, home) => {
    fake.permissions = { list: false };
    const result = await runCli(
      ["auth", "--type", "jwt", "--url", fake.url, "--token", fake.token],
      {
        env: { CONTREE_HOME: home },
      },
    );
    assertEquals(result.code, 0);
    assertStringIncludes(
      result.stderr,
      "[WARNING] Warning: token is valid but sandboxes are disabled on",
    );
    assertStringIncludes(await Deno.readTextFile(`${home}/auth.ini`), "[profile:default]");
  }));

Deno.test("auth ls probes every profile in parallel and reports ok / inactive / error / timeout", () =>
  withFake(async (fake, home) => {
    const slow = FakeApi.start();
    slow.on("GET", "/v1/whoami", () => ({ json: {}, delayMs: 2600 }));
    try {
      await Deno.writeTextFile(
        `${home}/auth.ini`,
        [
          "[DEFAULT]",
          "profile = good",
          "[profile:good]",
          `token = ${fake.token}`,
          `url = ${fake.url}`,
          "type = jwt",
          "[profile:bad]",
          "token = nope",
          `url = ${fake.url}`,
          "type = jwt",
          "[profile:slow]",
          `token = ${slow.token}`,
          `url = ${slow.url}`,
          "type = jwt",
          "[profile:nourl]",
          "token = x",
          "",
        ].join("\n"),
      );
      const result = await runCli(["-f", "json", "auth", "ls"], { env: { CONTREE_HOME: home } });
      assertEquals(result.code, 0, result.stderr);
      const rows = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assertEquals(
        rows.map((r) => [r.name, r.active, r.status]),
        [["good", true, "ok"], ["bad", false, "error"], ["slow", false, "timeout"], [
          "nourl",
          false,
          "no url",
        ]],
      );
      assertMatch(rows[0].token_sha256, /^[0-9a-f]{16}$/);
      assert(!result.stdout.includes(fake.token));

      const offline = await runCli(["-f", "json", "auth", "ls", "-O"], {
        env: { CONTREE_HOME: home },
      });
      assert(
        offline.stdout.trim().split("\n").every((line) =>
          JSON.parse(line).status === "offline mode"
        ),
      );
    } finally {
      await slow.close();
    }
  }));

Deno.test("auth use switches the active profile; unknown names exit 1", () =>
  withFake(async (_fake, home) => {
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[DEFAULT]\nprofile = a\n\n[profile:a]\nurl = http://a\n\n[profile:b]\nurl = http://b\n",
    );
    const result = await runCli(["auth", "use", "b"], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 0);
    assertStringIncludes(await Deno.readTextFile(`${home}/auth.ini`), "profile = b");
    const switched = await runCli(["auth", "switch", "a"], { env: { CONTREE_HOME: home } });
    assertEquals(switched.code, 0);
    const unknown = await runCli(["auth", "use", "zzz"], { env: { CONTREE_HOME: home } });
    assertEquals(unknown.code, 1);
    assertEquals(unknown.stderr, "[ERROR] profile 'zzz' does not exist\n");
  }));

Deno.test("auth rm removes the profile and its session database", () =>
  withFake(async (_fake, home) => {
    await Deno.writeTextFile(
      `${home}/auth.ini`,
      "[DEFAULT]\nprofile = a\n\n[profile:a]\nurl = http://a\n\n[profile:b]\nurl = http://b\n",
    );
    await Deno.mkdir(`${home}/cli/sessions`, { recursive: true });
    for (const suffix of [".db", ".db-wal", ".db-shm"]) {
      await Deno.writeTextFile(`${home}/cli/sessions/a${suffix}`, "");
    }
    await Deno.writeTextFile(`${home}/cli/sessions/b.db`, "");
    const result = await runCli(["auth", "rm", "a", "-y"], { env: { CONTREE_HOME: home } });
    assertEquals(result.code, 0, result.stderr);
    const left = [...Deno.readDirSync(`${home}/cli/sessions`)].map((e) => e.name).sort();
    assertEquals(left, ["b.db"]);
    const text = await Deno.readTextFile(`${home}/auth.ini`);
    assert(!text.includes("[profile:a]"));
    assertStringIncludes(text, "profile = b");
  }));

Deno.test("profile names that would be paths are refused; a hand-written one removes no file", () =>
  withFake(async (fake, home) => {
    const env = { CONTREE_HOME: home };
    const outside = await Deno.makeTempDir();
    try {
      // `cli/sessions/<name>.db` climbed out of the home: `use` created, `auth rm` deleted.
      const levels = `${home}/cli/sessions`.split("/").length - 1;
      const climbing = `${"../".repeat(levels)}${outside.slice(1)}/victim`;
      for (const name of [climbing, "x]y", "a/b", "..", "tab\there", "dev ", " lead"]) {
        const saved = await runCli(
          ["-p", name, "auth", "--type", "jwt", "--url", fake.url, "--token", fake.token],
          { env },
        );
        assertEquals(saved.code, 2, name);
        assertMatch(saved.stderr, /^\[ERROR\] Invalid profile name /, name);
        const used = await runCli(["-p", name, "use", "x"], { env });
        assertEquals(used.code, 2, name);
      }
      assertEquals([...Deno.readDirSync(outside)], []);
      // A section written into auth.ini by hand: `auth rm` drops it, and deletes no file.
      await Deno.writeTextFile(`${outside}/victim.db`, "precious");
      await Deno.mkdir(`${home}/cli/sessions`, { recursive: true }); // `..` needs it to exist
      await Deno.writeTextFile(
        `${home}/auth.ini`,
        `[DEFAULT]\nprofile = a\n\n[profile:a]\nurl = http://a\n\n[profile:${climbing}]\nurl = http://b\n`,
      );
      const removed = await runCli(["auth", "rm", climbing, "-y"], { env });
      assertEquals(removed.code, 0, removed.stderr);
      assertEquals(await Deno.readTextFile(`${outside}/victim.db`), "precious");
      assert(!(await Deno.readTextFile(`${home}/auth.ini`)).includes(climbing));
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  }));
