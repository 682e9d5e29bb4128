// `contree shell` as a subprocess with a script on stdin, against the fake API: lines run in
// one process through fresh command trees, with the shell's session pinned; nothing of one
// line (format, errors, exit codes) leaks into the next.

import { assertEquals, assertMatch } from "../support/assert.ts";
import { runCli, spawnCli, tempHome } from "../support/cli.ts";
import { FakeApi } from "../support/fake_api.ts";
import { runEvents } from "../support/fake_events.ts";
import { IMG } from "../support/sessions.ts";

Deno.test("contree shell on a pipe: the session is pinned, use prints no export line", async () => {
  const fake = FakeApi.start();
  const { home, cleanup } = await tempHome();
  try {
    const env = { CONTREE_HOME: home, CONTREE_URL: fake.url, CONTREE_TOKEN: fake.token };
    const script = [
      `contree use ${IMG[0]}`,
      "contree -f json use",
      "contree use --new", // a usage error (exit 1 in the reference), the shell goes on
      "contree bogus", // unknown command: exit 2, the shell goes on
      "cd /srv",
      "pwd",
      "-f json",
      "contree session show",
      "history",
      "",
    ].join("\n");
    const result = await runCli(["-S", "pinned", "shell"], { env, stdin: script });
    assertEquals(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assertEquals(JSON.parse(lines[0]).session_key, "pinned");
    assertEquals(JSON.parse(lines[0]).current_image, IMG[0]);
    assertEquals(lines[1], "/srv");
    assertEquals(lines.slice(2, 4).map((l) => JSON.parse(l).kind), ["use", "cd"]);
    assertEquals(lines.slice(4), ["(no history)"], "no export line; a pipe adds no history");
    assertMatch(result.stderr, /^--new requires an IMAGE argument\.$/m);
    assertMatch(result.stderr, /unknown command 'bogus'/);
    // A script fails as its last line did, and `exit N` leaves with N (both exited 0).
    const failed = await runCli(["-S", "pinned", "shell"], { env, stdin: "pwd\ncontree bogus\n" });
    assertEquals([failed.code, failed.stdout], [2, "/srv\n"], failed.stderr);
    const exited = await runCli(["-S", "pinned", "shell"], { env, stdin: "exit 7\npwd\n" });
    assertEquals([exited.code, exited.stdout], [7, ""], exited.stderr);
  } finally {
    await fake.close();
    await cleanup();
  }
});

Deno.test("contree shell needs a profile; refuses to start without one (exit 4)", async () => {
  const { home, cleanup } = await tempHome();
  try {
    const result = await runCli(["shell"], { env: { CONTREE_HOME: home }, stdin: "pwd\n" });
    assertEquals([result.code, result.stdout], [4, ""]);
    assertMatch(result.stderr, /^\[ERROR\] Profile 'default' does not exist/);
  } finally {
    await cleanup();
  }
});

Deno.test("contree shell: SIGTERM while it waits for a line ends it with 143", async () => {
  const { home, cleanup } = await tempHome();
  const fake = FakeApi.start();
  try {
    const child = spawnCli(["-S", "term", "shell"], {
      env: { CONTREE_HOME: home, CONTREE_URL: fake.url, CONTREE_TOKEN: fake.token },
      stdin: "",
    });
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("pwd\n"));
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value, "/\n");
    child.kill("SIGTERM");
    const status = await child.status;
    await writer.close().catch(() => {});
    await reader.cancel();
    await child.stderr.cancel();
    assertEquals(status.code, 143);
  } finally {
    await fake.close();
    await cleanup();
  }
});

Deno.test("contree shell: SIGTERM while a line runs cancels it and says Terminated once", async () => {
  const { home, cleanup } = await tempHome();
  const fake = FakeApi.start();
  const OP = "87654321-9abc-baba-deda-0123456789ab";
  try {
    const env = { CONTREE_HOME: home, CONTREE_URL: fake.url, CONTREE_TOKEN: fake.token };
    assertEquals((await runCli(["-S", "term", "use", IMG[0]], { env })).code, 0);
    fake.on(
      "POST",
      "/v1/instances",
      () => ({ status: 201, json: { uuid: OP, status: "PENDING" } }),
    );
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    fake.on("GET", `/v1/operations/${OP}/events`, () => ({
      events: [{ frame: runEvents([])[0] }, { signal: started }, { delayMs: 30_000 }],
    }));
    fake.on("DELETE", `/v1/operations/${OP}`, () => ({ status: 202 }));
    const child = spawnCli(["-S", "term", "shell"], { env, stdin: "" });
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("sleep 20\n"));
    await running;
    child.kill("SIGTERM");
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      child.stdout.cancel(),
    ]);
    await writer.close().catch(() => {});
    assertEquals(status.code, 143, stderr);
    assertEquals(stderr.match(/\[ERROR\] Terminated/g)?.length, 1, stderr);
  } finally {
    await fake.close();
    await cleanup();
  }
});
