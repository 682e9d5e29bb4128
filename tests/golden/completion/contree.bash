# bash completion for contree, generated from its command tree by
# `contree completion bash`. Regenerate it after upgrading contree.
#
# Install: source <(contree completion bash)   # in ~/.bashrc
#      or: contree completion bash > ~/.local/share/bash-completion/completions/contree   # read where the bash-completion package is installed

# _contree_child PATH WORD: the path of PATH's subcommand WORD (aliases included).
_contree_child() {
  case "$1/$2" in
    'contree/use'|'contree/ci')
      REPLY='contree use' ;;
    'contree/run'|'contree/r')
      REPLY='contree run' ;;
    'contree/operation'|'contree/op')
      REPLY='contree operation' ;;
    'contree/ps')
      REPLY='contree ps' ;;
    'contree/show')
      REPLY='contree show' ;;
    'contree/kill')
      REPLY='contree kill' ;;
    'contree/session'|'contree/s')
      REPLY='contree session' ;;
    'contree/images'|'contree/i'|'contree/img')
      REPLY='contree images' ;;
    'contree/tag'|'contree/t')
      REPLY='contree tag' ;;
    'contree/ls')
      REPLY='contree ls' ;;
    'contree/cat')
      REPLY='contree cat' ;;
    'contree/cp')
      REPLY='contree cp' ;;
    'contree/cd')
      REPLY='contree cd' ;;
    'contree/env')
      REPLY='contree env' ;;
    'contree/file'|'contree/f')
      REPLY='contree file' ;;
    'contree/shell'|'contree/sh')
      REPLY='contree shell' ;;
    'contree/build'|'contree/bd')
      REPLY='contree build' ;;
    'contree/auth')
      REPLY='contree auth' ;;
    'contree/server')
      REPLY='contree server' ;;
    'contree/task')
      REPLY='contree task' ;;
    'contree/project')
      REPLY='contree project' ;;
    'contree/completion')
      REPLY='contree completion' ;;
    'contree/mcp')
      REPLY='contree mcp' ;;
    'contree/agent'|'contree/man')
      REPLY='contree agent' ;;
    'contree/skill')
      REPLY='contree skill' ;;
    'contree/help')
      REPLY='contree help' ;;
    'contree operation/list'|'contree operation/ls')
      REPLY='contree operation list' ;;
    'contree operation/show'|'contree operation/sh')
      REPLY='contree operation show' ;;
    'contree operation/wait'|'contree operation/w')
      REPLY='contree operation wait' ;;
    'contree operation/cancel'|'contree operation/kill'|'contree operation/k')
      REPLY='contree operation cancel' ;;
    'contree operation/events'|'contree operation/ev')
      REPLY='contree operation events' ;;
    'contree operation/help')
      REPLY='contree operation help' ;;
    'contree session/list'|'contree session/ls')
      REPLY='contree session list' ;;
    'contree session/use')
      REPLY='contree session use' ;;
    'contree session/branch'|'contree session/br')
      REPLY='contree session branch' ;;
    'contree session/checkout'|'contree session/co')
      REPLY='contree session checkout' ;;
    'contree session/rollback'|'contree session/rb')
      REPLY='contree session rollback' ;;
    'contree session/forward'|'contree session/fw')
      REPLY='contree session forward' ;;
    'contree session/show'|'contree session/history')
      REPLY='contree session show' ;;
    'contree session/wait')
      REPLY='contree session wait' ;;
    'contree session/prune')
      REPLY='contree session prune' ;;
    'contree session/delete'|'contree session/rm'|'contree session/del')
      REPLY='contree session delete' ;;
    'contree session/help')
      REPLY='contree session help' ;;
    'contree images/list'|'contree images/ls')
      REPLY='contree images list' ;;
    'contree images/import')
      REPLY='contree images import' ;;
    'contree images/help')
      REPLY='contree images help' ;;
    'contree file/edit'|'contree file/e')
      REPLY='contree file edit' ;;
    'contree file/cp')
      REPLY='contree file cp' ;;
    'contree file/ls'|'contree file/list')
      REPLY='contree file ls' ;;
    'contree file/help')
      REPLY='contree file help' ;;
    'contree auth/list'|'contree auth/ls'|'contree auth/profiles')
      REPLY='contree auth list' ;;
    'contree auth/use'|'contree auth/switch')
      REPLY='contree auth use' ;;
    'contree auth/remove'|'contree auth/rm'|'contree auth/del')
      REPLY='contree auth remove' ;;
    'contree auth/help')
      REPLY='contree auth help' ;;
    'contree server/start')
      REPLY='contree server start' ;;
    'contree server/stop')
      REPLY='contree server stop' ;;
    'contree server/status')
      REPLY='contree server status' ;;
    'contree server/help')
      REPLY='contree server help' ;;
    'contree task/new')
      REPLY='contree task new' ;;
    'contree task/run')
      REPLY='contree task run' ;;
    'contree task/list'|'contree task/ls')
      REPLY='contree task list' ;;
    'contree task/status')
      REPLY='contree task status' ;;
    'contree task/rename')
      REPLY='contree task rename' ;;
    'contree task/stop')
      REPLY='contree task stop' ;;
    'contree task/login')
      REPLY='contree task login' ;;
    'contree task/logs')
      REPLY='contree task logs' ;;
    'contree task/wait')
      REPLY='contree task wait' ;;
    'contree task/delete'|'contree task/rm')
      REPLY='contree task delete' ;;
    'contree task/archive')
      REPLY='contree task archive' ;;
    'contree task/help')
      REPLY='contree task help' ;;
    'contree task archive/list'|'contree task archive/ls')
      REPLY='contree task archive list' ;;
    'contree task archive/logs')
      REPLY='contree task archive logs' ;;
    'contree task archive/help')
      REPLY='contree task archive help' ;;
    'contree project/new'|'contree project/init')
      REPLY='contree project new' ;;
    'contree project/list'|'contree project/ls')
      REPLY='contree project list' ;;
    'contree project/show')
      REPLY='contree project show' ;;
    'contree project/help')
      REPLY='contree project help' ;;
    'contree skill/list'|'contree skill/ls')
      REPLY='contree skill list' ;;
    'contree skill/install'|'contree skill/i')
      REPLY='contree skill install' ;;
    'contree skill/remove'|'contree skill/r'|'contree skill/rm'|'contree skill/del')
      REPLY='contree skill remove' ;;
    'contree skill/upgrade'|'contree skill/u'|'contree skill/update')
      REPLY='contree skill upgrade' ;;
    'contree skill/help')
      REPLY='contree skill help' ;;
    *) return 1 ;;
  esac
}

# _contree_commands PATH: the subcommands of PATH.
_contree_commands() {
  case "$1" in
    'contree')
      REPLY='use ci run r operation op ps show kill session s images i img tag t ls cat cp cd env file f shell sh build bd auth server task project completion mcp agent man skill help' ;;
    'contree operation')
      REPLY='list ls show sh wait w cancel kill k events ev help' ;;
    'contree session')
      REPLY='list ls use branch br checkout co rollback rb forward fw show history wait prune delete rm del help' ;;
    'contree images')
      REPLY='list ls import help' ;;
    'contree file')
      REPLY='edit e cp ls list help' ;;
    'contree auth')
      REPLY='list ls profiles use switch remove rm del help' ;;
    'contree server')
      REPLY='start stop status help' ;;
    'contree task')
      REPLY='new run list ls status rename stop login logs wait delete rm archive help' ;;
    'contree task archive')
      REPLY='list ls logs help' ;;
    'contree project')
      REPLY='new init list ls show help' ;;
    'contree skill')
      REPLY='list ls install i remove r rm del upgrade u update help' ;;
    *) return 1 ;;
  esac
}

# _contree_options PATH: the options of PATH.
_contree_options() {
  case "$1" in
    'contree')
      REPLY='-p --profile --token -u --url -P --project -c --config -L --log-level -f --format -S --session -v --version -h --help' ;;
    'contree use')
      REPLY='-N --new -h --help' ;;
    'contree run')
      REPLY='-t --timeout -C --cwd -e --env -H --hostname -D --disposable -I --interpreter -s --shell -F --file --file-excludes -T --truncate --preserve-env -d --detach --no-wait --use -h --help' ;;
    'contree operation')
      REPLY='-h --help' ;;
    'contree operation list')
      REPLY='-q --quiet -a --all --status -k --kind --since --until -M --show-max -h --help' ;;
    'contree operation show')
      REPLY='--raw -h --help' ;;
    'contree operation wait')
      REPLY='-a --all -t --timeout -h --help' ;;
    'contree operation cancel')
      REPLY='-a --all -h --help' ;;
    'contree operation events')
      REPLY='-h --help' ;;
    'contree operation help')
      REPLY='-h --help' ;;
    'contree ps')
      REPLY='-q --quiet -a --all --status -k --kind --since --until -M --show-max -h --help' ;;
    'contree show')
      REPLY='--raw -h --help' ;;
    'contree kill')
      REPLY='-a --all -h --help' ;;
    'contree session')
      REPLY='-h --help' ;;
    'contree session list')
      REPLY='--filter -h --help' ;;
    'contree session use')
      REPLY='-h --help' ;;
    'contree session branch')
      REPLY='--from -U --delete --rm --prune -h --help' ;;
    'contree session checkout')
      REPLY='-h --help' ;;
    'contree session rollback')
      REPLY='-h --help' ;;
    'contree session forward')
      REPLY='-h --help' ;;
    'contree session show')
      REPLY='-a --all -k --kind -l --last --since --until -h --help' ;;
    'contree session wait')
      REPLY='-h --help' ;;
    'contree session prune')
      REPLY='-h --help' ;;
    'contree session delete')
      REPLY='-y --force -h --help' ;;
    'contree session help')
      REPLY='-h --help' ;;
    'contree images')
      REPLY='--prefix -i --uuid -a --all --since --until --limit -h --help' ;;
    'contree images list')
      REPLY='--prefix -i --uuid -a --all --since --until --limit -h --help' ;;
    'contree images import')
      REPLY='--username --password -t --timeout -h --help' ;;
    'contree images help')
      REPLY='-h --help' ;;
    'contree tag')
      REPLY='-U --delete --rm -h --help' ;;
    'contree ls')
      REPLY='--image -h --help' ;;
    'contree cat')
      REPLY='--image -h --help' ;;
    'contree cp')
      REPLY='--image -h --help' ;;
    'contree cd')
      REPLY='-h --help' ;;
    'contree env')
      REPLY='-U --delete --rm -h --help' ;;
    'contree file')
      REPLY='-h --help' ;;
    'contree file edit')
      REPLY='-E --editor -h --help' ;;
    'contree file cp')
      REPLY='-h --help' ;;
    'contree file ls')
      REPLY='--since --until --limit -q --quiet -h --help' ;;
    'contree file help')
      REPLY='-h --help' ;;
    'contree shell')
      REPLY='-h --help' ;;
    'contree build')
      REPLY='-f --file --dockerfile -t --tag --build-arg --no-cache --target --timeout --network -h --help' ;;
    'contree auth')
      REPLY='--token -u --url --type -P --project -p --profile -y --force -h --help' ;;
    'contree auth list')
      REPLY='-O --offline -h --help' ;;
    'contree auth use')
      REPLY='-h --help' ;;
    'contree auth remove')
      REPLY='-y --force -h --help' ;;
    'contree auth help')
      REPLY='-h --help' ;;
    'contree server')
      REPLY='-h --help' ;;
    'contree server start')
      REPLY='--port --home -d --detach --concurrency --keepalive --memory --cpus --pids --userns --max-output -h --help' ;;
    'contree server stop')
      REPLY='--home -h --help' ;;
    'contree server status')
      REPLY='--home -h --help' ;;
    'contree server help')
      REPLY='-h --help' ;;
    'contree task')
      REPLY='-h --help' ;;
    'contree task new')
      REPLY='--name -h --help' ;;
    'contree task run')
      REPLY='--mode --name --command -h --help' ;;
    'contree task list')
      REPLY='--status --mode --no-emoji -h --help' ;;
    'contree task status')
      REPLY='--no-emoji -h --help' ;;
    'contree task rename')
      REPLY='-h --help' ;;
    'contree task stop')
      REPLY='--timeout -h --help' ;;
    'contree task login')
      REPLY='--print -h --help' ;;
    'contree task logs')
      REPLY='-f --follow --tail -t --timestamps -h --help' ;;
    'contree task wait')
      REPLY='--timeout -h --help' ;;
    'contree task delete')
      REPLY='-h --help' ;;
    'contree task archive')
      REPLY='-h --help' ;;
    'contree task archive list')
      REPLY='-h --help' ;;
    'contree task archive logs')
      REPLY='-h --help' ;;
    'contree task archive help')
      REPLY='-h --help' ;;
    'contree task help')
      REPLY='-h --help' ;;
    'contree project')
      REPLY='-h --help' ;;
    'contree project new')
      REPLY='--image --description --tasks-root --name-categories --shutdown-timeout --command --shell --force -h --help' ;;
    'contree project list')
      REPLY='-h --help' ;;
    'contree project show')
      REPLY='-h --help' ;;
    'contree project help')
      REPLY='-h --help' ;;
    'contree completion')
      REPLY='-h --help' ;;
    'contree mcp')
      REPLY='--http --port -h --help' ;;
    'contree agent')
      REPLY='-h --help' ;;
    'contree skill')
      REPLY='-h --help' ;;
    'contree skill list')
      REPLY='-h --help' ;;
    'contree skill install')
      REPLY='-y --force -h --help' ;;
    'contree skill remove')
      REPLY='-y --force -h --help' ;;
    'contree skill upgrade')
      REPLY='-h --help' ;;
    'contree skill help')
      REPLY='-h --help' ;;
    'contree help')
      REPLY='-h --help' ;;
    *) return 1 ;;
  esac
}

# _contree_takes_value PATH OPTION: whether OPTION of PATH takes a value.
_contree_takes_value() {
  case "$1/$2" in
    'contree/-p'|'contree/--profile'|'contree/--token'|'contree/-u'|'contree/--url'|'contree/-P'|'contree/--project'|'contree/-c'|'contree/--config'|'contree/-L'|'contree/--log-level'|'contree/-f'|'contree/--format'|'contree/-S'|'contree/--session')
      return 0 ;;
    'contree run/-t'|'contree run/--timeout'|'contree run/-C'|'contree run/--cwd'|'contree run/-e'|'contree run/--env'|'contree run/-H'|'contree run/--hostname'|'contree run/-F'|'contree run/--file'|'contree run/--file-excludes'|'contree run/-T'|'contree run/--truncate'|'contree run/--use')
      return 0 ;;
    'contree operation list/--status'|'contree operation list/-k'|'contree operation list/--kind'|'contree operation list/--since'|'contree operation list/--until'|'contree operation list/-M'|'contree operation list/--show-max')
      return 0 ;;
    'contree operation wait/-t'|'contree operation wait/--timeout')
      return 0 ;;
    'contree ps/--status'|'contree ps/-k'|'contree ps/--kind'|'contree ps/--since'|'contree ps/--until'|'contree ps/-M'|'contree ps/--show-max')
      return 0 ;;
    'contree session list/--filter')
      return 0 ;;
    'contree session branch/--from')
      return 0 ;;
    'contree session show/-k'|'contree session show/--kind'|'contree session show/-l'|'contree session show/--last'|'contree session show/--since'|'contree session show/--until')
      return 0 ;;
    'contree images/--prefix'|'contree images/-i'|'contree images/--uuid'|'contree images/--since'|'contree images/--until'|'contree images/--limit')
      return 0 ;;
    'contree images list/--prefix'|'contree images list/-i'|'contree images list/--uuid'|'contree images list/--since'|'contree images list/--until'|'contree images list/--limit')
      return 0 ;;
    'contree images import/--username'|'contree images import/--password'|'contree images import/-t'|'contree images import/--timeout')
      return 0 ;;
    'contree ls/--image')
      return 0 ;;
    'contree cat/--image')
      return 0 ;;
    'contree cp/--image')
      return 0 ;;
    'contree file edit/-E'|'contree file edit/--editor')
      return 0 ;;
    'contree file ls/--since'|'contree file ls/--until'|'contree file ls/--limit')
      return 0 ;;
    'contree build/-f'|'contree build/--file'|'contree build/--dockerfile'|'contree build/-t'|'contree build/--tag'|'contree build/--build-arg'|'contree build/--target'|'contree build/--timeout'|'contree build/--network')
      return 0 ;;
    'contree auth/--token'|'contree auth/-u'|'contree auth/--url'|'contree auth/--type'|'contree auth/-P'|'contree auth/--project'|'contree auth/-p'|'contree auth/--profile')
      return 0 ;;
    'contree server start/--port'|'contree server start/--home'|'contree server start/--concurrency'|'contree server start/--keepalive'|'contree server start/--memory'|'contree server start/--cpus'|'contree server start/--pids'|'contree server start/--userns'|'contree server start/--max-output'|'contree server start/--log-file')
      return 0 ;;
    'contree server stop/--home')
      return 0 ;;
    'contree server status/--home')
      return 0 ;;
    'contree task new/--name')
      return 0 ;;
    'contree task run/--mode'|'contree task run/--name'|'contree task run/--command')
      return 0 ;;
    'contree task list/--status'|'contree task list/--mode')
      return 0 ;;
    'contree task stop/--timeout')
      return 0 ;;
    'contree task logs/--tail')
      return 0 ;;
    'contree task wait/--timeout')
      return 0 ;;
    'contree project new/--image'|'contree project new/--description'|'contree project new/--tasks-root'|'contree project new/--name-categories'|'contree project new/--shutdown-timeout'|'contree project new/--command'|'contree project new/--shell')
      return 0 ;;
    'contree mcp/--port')
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
    'contree operation list/--status')
      REPLY='P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' ;;
    'contree operation list/-k'|'contree operation list/--kind')
      REPLY='image_import instance' ;;
    'contree ps/--status')
      REPLY='P PENDING A ASSIGNED E EXECUTING S SUCCESS F FAILED C CANCELLED' ;;
    'contree ps/-k'|'contree ps/--kind')
      REPLY='image_import instance' ;;
    'contree build/--network')
      REPLY='default none' ;;
    'contree auth/--type')
      REPLY='iam jwt' ;;
    'contree task run/--mode')
      REPLY='cli run' ;;
    'contree task list/--status')
      REPLY='running init starting stopped completed failed created deleting' ;;
    'contree task list/--mode')
      REPLY='cli run' ;;
    *) return 1 ;;
  esac
}

# _contree_takes_command_line PATH: whether PATH's words after its first argument are a command.
_contree_takes_command_line() {
  case "$1" in
    'contree run')
      return 0 ;;
    *) return 1 ;;
  esac
}

# _contree_argument_choices PATH N: the values the Nth argument (from 0) of PATH accepts.
_contree_argument_choices() {
  case "$1" in
    'contree operation help')
      if (( $2 >= 0 )); then REPLY='list show wait cancel events'; else return 1; fi ;;
    'contree session help')
      if (( $2 >= 0 )); then REPLY='list use branch checkout rollback forward show wait prune delete'; else return 1; fi ;;
    'contree images help')
      if (( $2 >= 0 )); then REPLY='list import'; else return 1; fi ;;
    'contree file help')
      if (( $2 >= 0 )); then REPLY='edit cp ls'; else return 1; fi ;;
    'contree auth help')
      if (( $2 >= 0 )); then REPLY='list use remove'; else return 1; fi ;;
    'contree server help')
      if (( $2 >= 0 )); then REPLY='start stop status'; else return 1; fi ;;
    'contree task archive help')
      if (( $2 >= 0 )); then REPLY='list logs'; else return 1; fi ;;
    'contree task help')
      if (( $2 >= 0 )); then REPLY='new run list status rename stop login logs wait delete archive'; else return 1; fi ;;
    'contree project help')
      if (( $2 >= 0 )); then REPLY='new list show'; else return 1; fi ;;
    'contree completion')
      if (( $2 == 0 )); then REPLY='bash zsh fish'; else return 1; fi ;;
    'contree agent')
      if (( $2 == 0 )); then REPLY='all core_workflow core sessions images_and_tags images files_and_directories files execution_modes execution command_safety command output_formats output profiles interactive_shell interactive agent_tools agent mcp_server mcp all_commands'; else return 1; fi ;;
    'contree skill help')
      if (( $2 >= 0 )); then REPLY='list install remove upgrade'; else return 1; fi ;;
    'contree help')
      if (( $2 >= 0 )); then REPLY='use run operation ps show kill session images tag ls cat cp cd env file shell build auth server task project completion mcp agent skill'; else return 1; fi ;;
    *) return 1 ;;
  esac
}

_contree() {
  local cur=${COMP_WORDS[COMP_CWORD]} cmdpath=contree word option candidates="" REPLY
  local -i i positional=0 expect=0 dashdash=0 join=0 cword=0
  local -a words=()
  COMPREPLY=()
  # bash splits words at ':' too (a URL is five words): the pieces are joined again. Readline
  # completes the text after a '=' or ':' the cursor follows, so that is the word (empty).
  for (( i = 0; i <= COMP_CWORD; i++ )); do
    word=${COMP_WORDS[i]}
    if (( i > 0 )) && [[ $word == ":" ]] || (( join )); then
      words[${#words[@]}-1]+=$word
      [[ $word == ":" ]] && join=1 || join=0
    else
      words+=("$word")
    fi
  done
  cword=${#words[@]}-1
  [[ $cur == "=" || $cur == ":" ]] && cur=""
  for (( i = 1; i < cword; i++ )); do
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
          # run's sandbox command: its words are not contree's (as after --)
          _contree_takes_command_line "$cmdpath" && dashdash=1
        fi
        ;;
    esac
  done
  (( dashdash )) && return 0 # the sandbox command: files
  if (( expect )); then
    option=${words[cword-1]}
    [[ $option == "=" ]] && option=${words[cword-2]}
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
