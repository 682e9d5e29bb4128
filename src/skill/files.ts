// The files an install writes. The body is the manual `contree agent` prints (the same
// sections, handed over by the caller), stamped with the version that wrote it.

import { type Install, SKILL_NAME } from "./layout.ts";

export interface Manual {
  title: string;
  sections: readonly { title: string; body: string }[];
}

/** The last line of every Markdown file an install writes: ownership and version in one. */
const STAMP = /^<!-- written by `contree skill install`, version (\S+) -->$/m;

export function stamp(version: string): string {
  return `<!-- written by \`contree skill install\`, version ${version} -->`;
}

/** The version a file written by an install carries; undefined for any other file. */
export function stampedVersion(text: string): string | undefined {
  return STAMP.exec(text)?.[1];
}

const DESCRIPTION = "Use when the user needs to operate ConTree sandboxes through the contree " +
  "CLI: choose or resume explicit sessions, run commands in VM-isolated environments, inspect " +
  "images without starting a VM, stage file changes, branch or roll back sandbox state, reuse " +
  "tagged images, and keep agent work rollback-safe.";

const AGENT_DESCRIPTION = "Use proactively when the user needs sandboxed execution through " +
  "ConTree: sessions, images, run, rollback, tagging.";

const ALLOWED_TOOLS = "Bash(contree:*)";
/** The tools of the Claude Code agents (subagent files). */
const AGENT_TOOLS = "Bash, Read, Grep";

/** A double-quoted YAML scalar. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

function manualBody(manual: Manual): string {
  return manual.sections
    .map((section) => `## ${section.title}\n\n\`\`\`text\n${section.body.trim()}\n\`\`\`\n`)
    .join("\n");
}

function skillMarkdown(frontmatter: string[], intro: string, manual: Manual, version: string) {
  return [
    "---",
    ...frontmatter,
    "---",
    "",
    `# ${manual.title}`,
    "",
    intro,
    "",
    manualBody(manual),
    "For one topic: `contree agent TOPIC`; for a command's options: `contree COMMAND --help`.",
    "",
    stamp(version),
    "",
  ].join("\n");
}

const SKILL_INTRO = (version: string) =>
  `Installed by \`contree skill install\` (contree ${version}); it runs the \`contree\` CLI ` +
  "from PATH (if it is missing, ask the user to install it). This is the manual " +
  "`contree agent` prints; `contree skill upgrade` rewrites it after contree is upgraded.";

/** SKILL.md of a skill directory, or the Markdown file of a file install. */
export function mainFile(install: Install, manual: Manual, version: string): string {
  switch (install.kind.flavour) {
    case "skill":
      return skillMarkdown(
        [`name: ${quoted(SKILL_NAME)}`, `description: ${quoted(DESCRIPTION)}`],
        SKILL_INTRO(version),
        manual,
        version,
      );
    case "claude-skill":
      return skillMarkdown(
        [
          `name: ${quoted(SKILL_NAME)}`,
          `description: ${quoted(DESCRIPTION)}`,
          `allowed-tools: ${ALLOWED_TOOLS}`,
        ],
        SKILL_INTRO(version),
        manual,
        version,
      );
    case "subagent":
      // Its own name: Claude Code tells agents apart by it, and the `agent` file is `contree`.
      // Subagents name their tools in `tools` (`allowed-tools` is a skill's field).
      return skillMarkdown(
        [
          `name: ${quoted(`${SKILL_NAME}-subagent`)}`,
          `description: ${quoted(DESCRIPTION)}`,
          `tools: ${AGENT_TOOLS}`,
        ],
        `A Claude Code subagent installed by \`contree skill install\` (contree ${version}). ` +
          "It runs the `contree` CLI from PATH.",
        manual,
        version,
      );
    case "agent":
      return [
        "---",
        `name: ${SKILL_NAME}`,
        "description: >-",
        `  ${AGENT_DESCRIPTION}`,
        `tools: ${AGENT_TOOLS}`,
        "skills:",
        `  - ${SKILL_NAME}`,
        "---",
        "",
        "ConTree sandbox agent: it preloads the `contree` skill for every operation.",
        "",
        "When a task has several possible approaches, start one subagent per approach, each",
        "with its own contree session (`-S <unique key>`), and compare the results.",
        "",
        "`contree agent` prints the whole manual; `contree agent TOPIC` one section.",
        "",
        stamp(version),
        "",
      ].join("\n");
  }
}

/** agents/openai.yaml of a skill directory. */
export function openaiYaml(): string {
  return [
    "interface:",
    '  display_name: "ConTree"',
    '  short_description: "Operate ConTree sandboxes through the contree CLI"',
    `  default_prompt: "Use $${SKILL_NAME} to operate ConTree with an explicit session, ` +
    'read-only inspection first, and small rollback-safe sandbox steps."',
    "",
  ].join("\n");
}

/** Codex's rules file: let the agent run `contree` without asking each time. */
export const CODEX_RULES = 'prefix_rule(pattern=["contree"], decision="allow")\n';
