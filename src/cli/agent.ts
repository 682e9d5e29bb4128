// `contree agent [TOPIC]` (alias `man`): the manual for coding agents (CLI spec §8.11), and the
// "agent note" every other command's help ends with.

import { Argument } from "../deps.ts";
import type { Row } from "../output/formatter.ts";
import { MANUAL_SECTIONS, MANUAL_TITLE, type ManualSection } from "./agent_manual.ts";
import type { App } from "./app.ts";
import type { RootCommand, Runner } from "./root.ts";

export const AGENT_NOTE =
  "Agents: read `contree agent` first (workflow, sessions, safety, output formats).";

type AnyCommand = RootCommand["commands"][number];

/** Topic names of a section title: `images_and_tags` and its first word `images`. */
export function topicNames(title: string): string[] {
  const full = title.toLowerCase().replaceAll("&", "and").replace(/\s+/g, "_");
  const first = full.split("_")[0];
  return first === full ? [full] : [full, first];
}

/** "All commands": every command and subcommand of the live tree, with its aliases. */
export function commandsSection(program: RootCommand): ManualSection {
  const rows: [string, string][] = [];
  const visit = (command: AnyCommand, prefix: string) => {
    for (const child of command.commands as AnyCommand[]) {
      const name = `${prefix}${child.name()}`;
      const aliases = child.aliases();
      rows.push([
        aliases.length ? `${name} (${aliases.join(", ")})` : name,
        child.description().split("\n")[0],
      ]);
      visit(child, `${name} `);
    }
  };
  visit(program as unknown as AnyCommand, "");
  const width = Math.min(34, Math.max(...rows.map(([name]) => name.length)));
  const lines = rows.map(([name, description]) =>
    name.length > width
      ? `  ${name}\n  ${" ".repeat(width)}  ${description}`
      : `  ${name.padEnd(width)}  ${description}`
  );
  const globals = (program.options as readonly { flags: string; description: string }[])
    .map((option) => `  ${option.flags.padEnd(width)}  ${option.description}`);
  return {
    title: "All commands",
    body: [
      "",
      "contree [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]; contree COMMAND --help shows the",
      "options of each command.",
      "",
      ...lines,
      "",
      "Global options (before the command):",
      "",
      ...globals,
    ].join("\n"),
  };
}

export function manualSections(program: RootCommand): ManualSection[] {
  return [...MANUAL_SECTIONS, commandsSection(program)];
}

/** `all` plus each section's names, in manual order. */
export function manualTopics(sections: readonly { title: string }[] = MANUAL_SECTIONS): string[] {
  const topics = ["all"];
  for (const section of [...sections, { title: "All commands" }]) {
    for (const name of topicNames(section.title)) if (!topics.includes(name)) topics.push(name);
  }
  return topics;
}

/** The manual as text: title, `=` underline, then each section with a `-` underline. */
export function renderManual(sections: readonly ManualSection[]): string {
  const parts = [`${MANUAL_TITLE}\n${"=".repeat(MANUAL_TITLE.length)}\n`];
  for (const section of sections) {
    parts.push(`\n${section.title}\n${"-".repeat(section.title.length)}\n${section.body.trim()}\n`);
  }
  return parts.join("");
}

export async function agentCommand(app: App, program: RootCommand, topic: string): Promise<number> {
  const all = manualSections(program);
  const chosen = topic === "all" ? all : all.filter((s) => topicNames(s.title).includes(topic));
  if (app.globals.format === "default") {
    await app.ctx.stdout.write(renderManual(chosen));
    return 0;
  }
  const out = app.output();
  for (const section of chosen) {
    const row: Row = {
      command: "agent",
      topic,
      section: section.title,
      text: section.body.trim(),
      section_index: all.indexOf(section) + 1,
      section_count: all.length,
    };
    await out.write(row);
  }
  await out.flush();
  return 0;
}

export function registerAgent(program: RootCommand, run: Runner): void {
  program
    .command("agent")
    .alias("man")
    .description("the manual for coding agents (workflow, sessions, safety, all commands)")
    .addArgument(
      new Argument("[topic]", "one section, or all").choices(manualTopics()).default("all"),
    )
    .action((topic) => run((app) => agentCommand(app, program, topic)));

  // Every other command's help ends with the note (one place, whatever is registered later).
  // The root's help already ends with a blank line (after the exit codes).
  program.addHelpText("afterAll", ({ command }) => {
    if (command.name() === "agent") return "";
    // Wrapped as the rest of the help is, to the terminal's width.
    const width = command.configureOutput().getOutHelpWidth?.() ?? 80;
    const note = command.createHelp().boxWrap(AGENT_NOTE, width);
    return command.parent ? `\n${note}` : note;
  });
}
