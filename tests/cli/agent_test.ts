// `contree agent [TOPIC]` (alias `man`): the manual for coding agents, its topics and formats,
// and the agent note at the end of every other command's help (CLI spec §8.11, §2.1).

import { AGENT_NOTE, manualTopics, renderManual, topicNames } from "../../src/cli/agent.ts";
import { MANUAL_SECTIONS, MANUAL_TITLE } from "../../src/cli/agent_manual.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli, tempHome } from "../support/cli.ts";

async function cli(args: string[]) {
  const { home, cleanup } = await tempHome();
  try {
    return await runCli(args, { env: { CONTREE_HOME: home } });
  } finally {
    await cleanup();
  }
}

Deno.test("agent topics: all, each title in snake case with & as and, and its first word", () => {
  assertEquals(topicNames("Images & tags"), ["images_and_tags", "images"]);
  assertEquals(topicNames("Sessions"), ["sessions"]);
  assertEquals(manualTopics(), [
    "all",
    "core_workflow",
    "core",
    "sessions",
    "images_and_tags",
    "images",
    "files_and_directories",
    "files",
    "execution_modes",
    "execution",
    "command_safety",
    "command",
    "output_formats",
    "output",
    "profiles",
    "interactive_shell",
    "interactive",
    "agent_tools",
    "agent",
    "mcp_server",
    "mcp",
    "all_commands", // its first word would be `all`, which means every section
  ]);
});

Deno.test("agent: the whole manual with = and - underlines, then every command of the tree", async () => {
  const result = await cli(["agent"]);
  assertEquals([result.code, result.stderr], [0, ""]);
  const out = result.stdout;
  assert(out.startsWith(`${MANUAL_TITLE}\n${"=".repeat(MANUAL_TITLE.length)}\n\n`), out);
  for (const section of [...MANUAL_SECTIONS, { title: "All commands" }]) {
    assert(
      out.includes(`\n\n${section.title}\n${"-".repeat(section.title.length)}\n`),
      section.title,
    );
  }
  // The command list comes from the live tree: names, aliases and nested commands.
  assertMatch(out, /^ {2}auth list \(ls, profiles\) +list profiles/m);
  assertMatch(out, /^ {2}agent \(man\) +the manual for coding agents/m);
  assertMatch(out, /^ {2}-f, --format <format> +output format/m);
  assert(out.endsWith("\n") && !out.endsWith("\n\n"));
});

Deno.test("man TOPIC: one section; a short topic name is the same section", async () => {
  const [long, short] = await Promise.all([
    cli(["man", "images_and_tags"]),
    cli(["agent", "images"]),
  ]);
  assertEquals([long.code, long.stderr], [0, ""]);
  assertEquals(short.stdout, long.stdout);
  const images = MANUAL_SECTIONS.find((s) => s.title === "Images & tags")!;
  assertEquals(long.stdout, renderManual([images]));
});

Deno.test("agent -f json: one row per section with its index and the section count", async () => {
  const [all, one] = await Promise.all([
    cli(["-f", "json", "agent"]),
    cli(["-f", "json", "agent", "profiles"]),
  ]);
  assertEquals([all.code, all.stderr], [0, ""]);
  const rows = all.stdout.trim().split("\n").map((line) => JSON.parse(line));
  const count = MANUAL_SECTIONS.length + 1;
  assertEquals(rows.length, count);
  assertEquals(Object.keys(rows[0]), [
    "command",
    "topic",
    "section",
    "text",
    "section_index",
    "section_count",
  ]);
  assertEquals(rows.map((r) => r.section_index), Array.from({ length: count }, (_, i) => i + 1));
  assert(
    rows.every((r) => r.command === "agent" && r.topic === "all" && r.section_count === count),
  );
  assertEquals(rows[0].section, "Core workflow");

  const profiles = one.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assertEquals(profiles.map((r) => [r.topic, r.section, r.section_index]), [
    ["profiles", "Profiles", MANUAL_SECTIONS.findIndex((s) => s.title === "Profiles") + 1],
  ]);
  assertMatch(profiles[0].text, /^A profile is/);
});

Deno.test("agent: an unknown topic is a usage error listing the topics", async () => {
  const result = await cli(["agent", "nope"]);
  assertEquals([result.code, result.stdout], [2, ""]);
  assertMatch(result.stderr, /Allowed choices are all, core_workflow, core, sessions/);
});

Deno.test("help: every command but agent ends with the agent note", async () => {
  const [root, auth, authList, agent] = await Promise.all([
    cli(["--help"]),
    cli(["auth", "--help"]),
    cli(["auth", "list", "--help"]),
    cli(["agent", "--help"]),
  ]);
  for (const help of [root, auth, authList]) {
    assertEquals(help.code, 0);
    assert(help.stdout.endsWith(`\n\n${AGENT_NOTE}\n`), help.stdout);
    assert(!help.stdout.includes("\n\n\n"), help.stdout);
  }
  assertEquals(agent.code, 0);
  assert(!agent.stdout.includes("Agents: read"), agent.stdout);
  assertMatch(agent.stdout, /choices: "all", "core_workflow"/);
});

Deno.test("agent mcp: how agent hosts reach contree (contree mcp, its tools)", async () => {
  const result = await cli(["agent", "mcp"]);
  assertEquals([result.code, result.stderr], [0, ""]);
  assertMatch(result.stdout, /^MCP server\n-+\n/m);
  assert(result.stdout.includes("contree mcp --http"), result.stdout);
  assert(result.stdout.includes("session_rollback"), result.stdout);
});
