# bash completion for contree, generated from its command tree by
# `contree completion bash`. Regenerate it after upgrading contree.
#
# Install: contree completion bash > ~/.local/share/bash-completion/completions/contree
#      or: source <(contree completion bash)   # in ~/.bashrc

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
      REPLY='auth completion agent man help' ;;
    'contree auth')
      REPLY='list ls profiles use switch remove rm del' ;;
    *) return 1 ;;
  esac
}

# _contree_options PATH: the options of PATH.
_contree_options() {
  case "$1" in
    'contree')
      REPLY='-p --profile --token -u --url -P --project -c --config -L --log-level -f --format -S --session -v --version -h --help' ;;
    'contree auth')
      REPLY='--token -u --url --type -P --project -p --profile -y --force -h --help' ;;
    'contree auth list')
      REPLY='-O --offline -h --help' ;;
    'contree auth use')
      REPLY='-h --help' ;;
    'contree auth remove')
      REPLY='-y --force -h --help' ;;
    'contree completion')
      REPLY='-h --help' ;;
    'contree agent')
      REPLY='-h --help' ;;
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
  local cur=${COMP_WORDS[COMP_CWORD]} cmdpath=contree word option candidates="" REPLY
  local -i i positional=0 expect=0 dashdash=0
  COMPREPLY=()
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word=${COMP_WORDS[i]}
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
  (( dashdash )) && return 0 # the sandbox command: files
  if (( expect )); then
    option=${COMP_WORDS[COMP_CWORD-1]}
    [[ $option == "=" ]] && option=${COMP_WORDS[COMP_CWORD-2]}
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

complete -o default -F _contree contree
