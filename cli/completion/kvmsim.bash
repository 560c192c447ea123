# bash completion for kvmsim (installed as share/bash-completion/completions/kvmsim)
_kvmsim()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "list run exec explore replay shrink merge profiles compare step help --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--profile)
		COMPREPLY=($(compgen -W "$(kvmsim profiles 2>/dev/null | awk '/^  [a-z]/ && $2 != "rules:" { print $1 }')" -- "$cur"))
		return ;;
	--arch) COMPREPLY=($(compgen -W "x86_64 arm64" -- "$cur")); return ;;
	--strategy) COMPREPLY=($(compgen -W "random pct bounded" -- "$cur")); return ;;
	--explain-walk) COMPREPLY=($(compgen -W "off fault all" -- "$cur")); return ;;
	--format)
		if [[ $cmd == compare ]]; then
			COMPREPLY=($(compgen -W "table json tap" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "text tap" -- "$cur"))
		fi
		return ;;
	--trace|--timeline|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--seed|--quantum|--runs|--jobs|--depth|--preemptions|--max-choices|--fail|--shard) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(kvmsim help "$cmd" 2>/dev/null | sed -n 's/^  \(-h, \)\{0,1\}\(--[a-z-]*\).*/\2/p')" -- "$cur"))
		return
	fi
	case $cmd in
	run|explore|compare|step)
		COMPREPLY=($(compgen -W "$(kvmsim list 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur")) ;;
	replay|shrink) COMPREPLY=($(compgen -f -X '!*.schedule' -- "$cur")) ;;
	merge) COMPREPLY=($(compgen -f -- "$cur")) ;;
	help) COMPREPLY=($(compgen -W "list run exec explore replay shrink merge profiles compare step exit-codes" -- "$cur")) ;;
	exec) COMPREPLY=($(compgen -c -- "$cur")) ;;
	esac
}
complete -F _kvmsim kvmsim
