// bash and zsh scripts. Both shells read the same helper functions (a `case` per table, the
// answer in $REPLY or $reply, no subshells) and walk the command line the same way; they differ
// only in how candidates are offered (compgen vs compadd/_describe).

import type { CommandSpec } from "./model.ts";
import { completionTables, type Entry, header, PROGRAM, singleQuoted } from "./tables.ts";

type Shell = "bash" | "zsh";

function caseFunction<T>(
  name: string,
  comment: string,
  subject: string,
  entries: Entry<T>[],
  body: (value: T) => string,
): string[] {
  const lines = [`# ${comment}`, `${name}() {`, `  case "${subject}" in`];
  for (const entry of entries) {
    lines.push(`    ${entry.patterns.map((p) => singleQuoted(p, "posix")).join("|")})`);
    lines.push(`      ${body(entry.value)} ;;`);
  }
  lines.push("    *) return 1 ;;", "  esac", "}", "");
  return lines;
}

function words(values: readonly string[]): string {
  return `REPLY=${singleQuoted(values.join(" "), "posix")}`;
}

/** zsh `_describe` entries: `word:description` (colons in words would need escaping). */
function described(shell: Shell, pairs: [string, string][]): string {
  if (shell === "bash") return words(pairs.map(([word]) => word));
  const items = pairs.map(([word, description]) => {
    const name = word.replaceAll(":", "\\:");
    return singleQuoted(description ? `${name}:${description}` : name, "posix");
  });
  return `reply=(${items.join(" ")})`;
}

function argumentChoices(ranges: { first: number; last?: number; choices: readonly string[] }[]) {
  const branches = ranges.map(({ first, last, choices }, i) => {
    const test = last === undefined ? `$2 >= ${first}` : `$2 == ${first}`;
    return `${i === 0 ? "if" : "elif"} (( ${test} )); then ${words(choices)}`;
  });
  return `${branches.join("; ")}; else return 1; fi`;
}

function helpers(shell: Shell, root: CommandSpec): string[] {
  const tables = completionTables(root);
  return [
    ...caseFunction(
      "_contree_child",
      "_contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).",
      "$1/$2",
      tables.child,
      (value) => `REPLY=${singleQuoted(value, "posix")}`,
    ),
    ...caseFunction(
      "_contree_commands",
      "_contree_commands PATH: the subcommands of PATH.",
      "$1",
      tables.commands,
      (value) => described(shell, value),
    ),
    ...caseFunction(
      "_contree_options",
      "_contree_options PATH: the options of PATH.",
      "$1",
      tables.options,
      (value) => described(shell, value),
    ),
    ...caseFunction(
      "_contree_takes_value",
      "_contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.",
      "$1/$2",
      tables.valueOptions,
      () => "return 0",
    ),
    ...caseFunction(
      "_contree_option_choices",
      "_contree_option_choices PATH OPTION: the values OPTION of PATH accepts.",
      "$1/$2",
      tables.optionChoices,
      words,
    ),
    ...caseFunction(
      "_contree_takes_command_line",
      "_contree_takes_command_line PATH: whether PATH's words after its first argument are a command.",
      "$1",
      tables.commandLines,
      () => "return 0",
    ),
    ...caseFunction(
      "_contree_argument_choices",
      "_contree_argument_choices PATH N: the values the Nth argument (from 0) of PATH accepts.",
      "$1",
      tables.argumentChoices,
      argumentChoices,
    ),
  ];
}

// Walks the words before the cursor: options (and the values of those that take one) are
// skipped, subcommand names move the path, other words are positional arguments; after `--`
// everything is, and so is after the first argument of a command that takes a command line (run).
// Leaves $cmdpath, $positional, $expect (the word is an option's value) and $dashdash set.
const WALK = `
    if (( dashdash )); then (( positional += 1 )); continue; fi
    if (( expect )); then
      [[ $word == "=" ]] || expect=0 # bash splits --opt=value into --opt, =, value
      continue
    fi
    case $word in
      --) dashdash=1 ;;
      -*=*) ;;
      -*) _contree_takes_value "$cmdpath" "$word" && expect=1 ;;
      *)
        if (( positional == 0 )) && _contree_child "$cmdpath" "$word"; then
          cmdpath=$REPLY
        else
          (( positional += 1 ))
          # run's sandbox command: its words are not contree's (as after --)
          _contree_takes_command_line "$cmdpath" && dashdash=1
        fi
        ;;
    esac`;

function bashMain(): string[] {
  return `_contree() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmdpath=${PROGRAM} word option candidates="" REPLY
  local -i i positional=0 expect=0 dashdash=0 join=0 cword=0
  local -a words=()
  COMPREPLY=()
  # bash splits words at ':' too (a URL is five words): the pieces are joined again. Readline
  # completes the text after a '=' or ':' the cursor follows, so that is the word (empty).
  for (( i = 0; i <= COMP_CWORD; i++ )); do
    word=\${COMP_WORDS[i]}
    if (( i > 0 )) && [[ $word == ":" ]] || (( join )); then
      words[\${#words[@]}-1]+=$word
      [[ $word == ":" ]] && join=1 || join=0
    else
      words+=("$word")
    fi
  done
  cword=\${#words[@]}-1
  [[ $cur == "=" || $cur == ":" ]] && cur=""
  for (( i = 1; i < cword; i++ )); do
    word=\${words[i]}${WALK}
  done
  (( dashdash )) && return 0 # the sandbox command: files
  if (( expect )); then
    option=\${words[cword-1]}
    [[ $option == "=" ]] && option=\${words[cword-2]}
    _contree_option_choices "$cmdpath" "$option" && COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]]; then
    _contree_options "$cmdpath" && COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
    return 0
  fi
  (( positional == 0 )) && _contree_commands "$cmdpath" && candidates=$REPLY
  _contree_argument_choices "$cmdpath" "$positional" && candidates="$candidates $REPLY"
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}

complete -o default -F _contree ${PROGRAM}
`.split("\n");
}

function zshMain(): string[] {
  return `_contree() {
  local cmdpath=${PROGRAM} word cur option REPLY
  local -a reply
  local -i i positional=0 expect=0 dashdash=0 found=0
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}${WALK}
  done
  cur=\${words[CURRENT]}
  if (( dashdash )); then _files; return; fi
  if (( expect )); then
    if _contree_option_choices "$cmdpath" "\${words[CURRENT-1]}"; then compadd -- \${=REPLY}; else _files; fi
    return
  fi
  if [[ $cur == -*=* ]]; then # --option=value
    option=\${cur%%=*}
    compset -P '*='
    if _contree_option_choices "$cmdpath" "$option"; then compadd -- \${=REPLY}; else _files; fi
    return
  fi
  if [[ $cur == -* ]]; then
    _contree_options "$cmdpath" && _describe -t options option reply
    return
  fi
  if (( positional == 0 )) && _contree_commands "$cmdpath"; then
    _describe -t commands command reply && found=1
  fi
  if _contree_argument_choices "$cmdpath" "$positional"; then
    compadd -- \${=REPLY} && found=1
  fi
  (( found )) || _files
}

# Autoloaded from $fpath (#compdef) this file is the body of _contree; sourced, it registers.
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _contree "$@"
else
  compdef _contree ${PROGRAM}
fi
`.split("\n");
}

export function bashScript(root: CommandSpec): string {
  return [
    ...header("bash", [
      `Install: source <(${PROGRAM} completion bash)   # in ~/.bashrc`,
      `     or: ${PROGRAM} completion bash > ~/.local/share/bash-completion/completions/${PROGRAM}` +
      "   # read where the bash-completion package is installed",
    ]),
    ...helpers("bash", root),
    ...bashMain(),
  ].join("\n");
}

export function zshScript(root: CommandSpec): string {
  return [
    `#compdef ${PROGRAM}`,
    ...header("zsh", [
      `Install: ${PROGRAM} completion zsh > ~/.zfunc/_${PROGRAM}   # fpath=(~/.zfunc $fpath), then compinit`,
      `     or: source <(${PROGRAM} completion zsh)   # in ~/.zshrc, after compinit`,
    ]),
    ...helpers("zsh", root),
    ...zshMain(),
  ].join("\n");
}
