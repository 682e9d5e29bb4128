// `contree completion bash|zsh|fish`: a completion script generated from the live command tree.

import { fishScript } from "../completion/fish.ts";
import { commandModel } from "../completion/model.ts";
import { bashScript, zshScript } from "../completion/posix.ts";
import { Argument } from "../deps.ts";
import type { RootCommand, Runner } from "./root.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

/** The completion script for `shell` of the tree under `program`. */
export function completionScript(program: RootCommand, shell: Shell): string {
  const model = commandModel(program);
  if (shell === "bash") return bashScript(model);
  if (shell === "zsh") return zshScript(model);
  return fishScript(model);
}

export function registerCompletion(program: RootCommand, run: Runner): void {
  program
    .command("completion")
    .description("print a shell completion script (commands, aliases, options, choices)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      `
Install:
  bash  in ~/.bashrc: source <(contree completion bash)
        (or a file in ~/.local/share/bash-completion/completions/, with bash-completion)
  zsh   contree completion zsh > ~/.zfunc/_contree, with fpath=(~/.zfunc $fpath) before
        compinit in ~/.zshrc (or, after compinit: source <(contree completion zsh))
  fish  contree completion fish > ~/.config/fish/completions/contree.fish`,
    )
    .action((shell) =>
      run(async (app) => {
        await app.ctx.stdout.write(completionScript(program, shell));
        return 0;
      })
    );
}
