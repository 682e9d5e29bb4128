// The guides: the sections of `contree agent`, by name (`get_guide`, `contree://guide/{section}`).

import { ContreeError } from "../errors.ts";
import type { GuideSection } from "./deps.ts";
import type { ToolOutput } from "./result.ts";

/**
 * contree-mcp's section names, as the section of ours that covers them: prompts written for it
 * ask for these. `errors` has no section of its own; the core workflow covers exit codes.
 */
const CONTREE_MCP_SECTIONS: Record<string, string> = {
  workflow: "core_workflow",
  quickstart: "core_workflow",
  errors: "core_workflow",
  reference: "all_commands",
  state: "sessions",
  async: "execution_modes",
  tagging: "images_and_tags",
};

export function findGuide(guides: readonly GuideSection[], name: string): GuideSection {
  const typed = name.trim().toLowerCase();
  const wanted = CONTREE_MCP_SECTIONS[typed] ?? typed;
  const found = guides.find((g) => g.name === wanted || g.aliases.includes(wanted));
  if (!found) {
    throw new ContreeError(
      `Unknown guide section '${name}'. Available sections: ${
        guides.map((g) => g.name).join(", ")
      }`,
    );
  }
  return found;
}

export function guideText(section: GuideSection): string {
  return `# ${section.title}\n\n${section.text.trim()}\n`;
}

export function getGuideTool(guides: readonly GuideSection[], name: string): ToolOutput {
  const section = findGuide(guides, name);
  return {
    section: section.name,
    content: guideText(section),
    available_sections: guides.map((g) => g.name),
  };
}
