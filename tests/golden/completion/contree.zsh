#compdef contree
# zsh completion for contree, generated from its command tree by
# `contree completion zsh`. Regenerate it after upgrading contree.
#
# Install: contree completion zsh > "${fpath[1]}/_contree"   # then start a new zsh
#      or: source <(contree completion zsh)   # in ~/.zshrc, after compinit

# _contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).
_contree_child() {
  case "$1/$2" in
    'contree/auth')
      REPLY='contree auth' ;;
    'contree/completion')
      REPLY='contree completion' ;;
    'contree/agent'|'contree/man')
      REPLY='contree agent' ;;
    'contree/help')
      REPLY='contree help' ;;
    'contree auth/list'|'contree auth/ls'|'contree auth/profiles')
      REPLY='contree auth list' ;;
    'contree auth/use'|'contree auth/switch')
      REPLY='contree auth use' ;;
    'contree auth/remove'|'contree auth/rm'|'contree auth/del')
      REPLY='contree auth remove' ;;
    *) return 1 ;;
  esac
}

# _contree_commands PATH: the subcommands of PATH.
_contree_commands() {
  case "$1" in
    'contree')
      reply=('auth:register or update a profile (verifies the token with GET /v1/whoami)' 'completion:print a shell completion script (commands, aliases, options, choices)' 'agent:the manual for coding agents (workflow, sessions, safety, all commands)' 'man:the manual for coding agents (workflow, sessions, safety, all commands)' 'help:display help for command') ;;
    'contree auth')
      reply=('list:list profiles and check which ones work (2 s probe each, in parallel)' 'ls:list profiles and check which ones work (2 s probe each, in parallel)' 'profiles:list profiles and check which ones work (2 s probe each, in parallel)' 'use:make a profile the active one' 'switch:make a profile the active one' 'remove:remove a profile and its session database' 'rm:remove a profile and its session database' 'del:remove a profile and its session database') ;;
    *) return 1 ;;
  esac
}

# _contree_options PATH: the options of PATH.
_contree_options() {
  case "$1" in
    'contree')
      reply=('-p:profile for this invocation (default: $CONTREE_PROFILE, then the active one)' '--profile:profile for this invocation (default: $CONTREE_PROFILE, then the active one)' '--token:token for this invocation' '-u:API base URL for this invocation' '--url:API base URL for this invocation' '-P:project for this invocation' '--project:project for this invocation' '-c:credentials file (default: $CONTREE_HOME/auth.ini)' '--config:credentials file (default: $CONTREE_HOME/auth.ini)' '-L:log level' '--log-level:log level' '-f:output format' '--format:output format' '-S:session key (default: $CONTREE_SESSION or derived from the terminal)' '--session:session key (default: $CONTREE_SESSION or derived from the terminal)' '-v:print the version and exit' '--version:print the version and exit' '-h:show help' '--help:show help') ;;
    'contree auth')
      reply=('--token:API token (default: $CONTREE_TOKEN, $NEBIUS_API_KEY, or a prompt)' '-u:API base URL (default: $CONTREE_URL)' '--url:API base URL (default: $CONTREE_URL)' '--type:token type' '-P:project id for iam tokens (default: $CONTREE_PROJECT)' '--project:project id for iam tokens (default: $CONTREE_PROJECT)' '-p:profile name (default: the global -p, else '\''default'\'')' '--profile:profile name (default: the global -p, else '\''default'\'')' '-y:overwrite an existing profile without asking' '--force:overwrite an existing profile without asking' '-h:show help' '--help:show help') ;;
    'contree auth list')
      reply=('-O:do not probe the servers' '--offline:do not probe the servers' '-h:show help' '--help:show help') ;;
    'contree auth use')
      reply=('-h:show help' '--help:show help') ;;
    'contree auth remove')
      reply=('-y:do not ask for confirmation' '--force:do not ask for confirmation' '-h:show help' '--help:show help') ;;
    'contree completion')
      reply=('-h:show help' '--help:show help') ;;
    'contree agent')
      reply=('-h:show help' '--help:show help') ;;
    *) return 1 ;;
  esac
}

# _contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.
_contree_takes_value() {
  case "$1/$2" in
    'contree/-p'|'contree/--profile'|'contree/--token'|'contree/-u'|'contree/--url'|'contree/-P'|'contree/--project'|'contree/-c'|'contree/--config'|'contree/-L'|'contree/--log-level'|'contree/-f'|'contree/--format'|'contree/-S'|'contree/--session')
      return 0 ;;
    'contree auth/--token'|'contree auth/-u'|'contree auth/--url'|'contree auth/--type'|'contree auth/-P'|'contree auth/--project'|'contree auth/-p'|'contree auth/--profile')
      return 0 ;;
    *) return 1 ;;
  esac
}

# _contree_option_choices PATH OPTION: the values OPTION of PATH accepts.
_contree_option_choices() {
  case "$1/$2" in
    'contree/-L'|'contree/--log-level')
      REPLY='debug info warning error critical' ;;
    'contree/-f'|'contree/--format')
      REPLY='default plain json json-pretty table csv tsv toml' ;;
    'contree auth/--type')
      REPLY='iam jwt' ;;
    *) return 1 ;;
  esac
}

# _contree_argument_choices PATH N: the values the Nth argument (from 0) of PATH accepts.
_contree_argument_choices() {
  case "$1" in
    'contree completion')
      if (( $2 == 0 )); then REPLY='bash zsh fish'; else return 1; fi ;;
    'contree agent')
      if (( $2 == 0 )); then REPLY='all core_workflow core sessions images_and_tags images files_and_directories files execution_modes execution command_safety command output_formats output profiles all_commands'; else return 1; fi ;;
    'contree help')
      if (( $2 == 0 )); then REPLY='auth completion agent'; else return 1; fi ;;
    *) return 1 ;;
  esac
}

_contree() {
  local cmdpath=contree word cur option REPLY
  local -a reply
  local -i i positional=0 expect=0 dashdash=0 found=0
  for (( i = 2; i < CURRENT; i++ )); do
    word=${words[i]}
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
        fi
        ;;
    esac
  done
  cur=${words[CURRENT]}
  if (( dashdash )); then _files; return; fi
  if (( expect )); then
    if _contree_option_choices "$cmdpath" "${words[CURRENT-1]}"; then compadd -- ${=REPLY}; else _files; fi
    return
  fi
  if [[ $cur == -*=* ]]; then # --option=value
    option=${cur%%=*}
    compset -P '*='
    if _contree_option_choices "$cmdpath" "$option"; then compadd -- ${=REPLY}; else _files; fi
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
    compadd -- ${=REPLY} && found=1
  fi
  (( found )) || _files
}

# Autoloaded from $fpath (#compdef) this file is the body of _contree; sourced, it registers.
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _contree "$@"
else
  compdef _contree contree
fi
