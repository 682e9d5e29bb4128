// The guides: the sections of `contree agent`, by name (`get_guide`, `contree://guide/{section}`).

import { ContreeError } from "../errors.ts";
import type { GuideSection } from "./deps.ts";
import type { ToolOutput } from "./result.ts";

export function findGuide(guides: readonly GuideSection[], name: string): GuideSection {
  const wanted = name.trim().toLowerCase();
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
