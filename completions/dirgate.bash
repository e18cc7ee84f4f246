# bash completion for dirgate(1).  The commands and each command's options
# come from the program itself (dirgate --list-commands, dirgate COMMAND
# --completion-helper), so they are always those of the installed dirgate.

# The arguments that reach COMMAND's option parser ("cert new" for cert).
_dirgate_cmd_args()
{
	if [[ $1 == cert ]]; then
		printf '%s\n' cert new
	else
		printf '%s\n' "$1"
	fi
}

# The values --OPTION takes when the command's help spells them out
# ("--OPTION one|two").
_dirgate_values()
{
	local cmd=$1 opt=$2
	"${_dirgate_bin:-dirgate}" "$cmd" --help 2>/dev/null |
		sed -n "s/.*${opt} \([a-z0-9-]*\(|[a-z0-9-]*\)\{1,\}\).*/\1/p" | head -n 1 | tr '|' ' '
}

_dirgate()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local bin=${_dirgate_bin:-dirgate} cmd=${COMP_WORDS[1]} opts values args
	COMPREPLY=()

	if ((COMP_CWORD == 1)) || [[ $cmd == help && COMP_CWORD -eq 2 && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "$("$bin" --list-commands 2>/dev/null | cut -f1)" -- "$cur"))
		((COMP_CWORD == 1)) && [[ $cur == -* ]] &&
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		return 0
	fi
	if [[ $cmd == cert && COMP_CWORD -eq 2 ]]; then
		COMPREPLY=($(compgen -W "new" -- "$cur"))
		return 0
	fi
	mapfile -t args < <(_dirgate_cmd_args "$cmd")
	opts=$("$bin" "${args[@]}" --completion-helper 2>/dev/null | cut -f1)

	# the value of an option that takes one
	if [[ $prev == --* ]] && grep -qx -- "$prev=" <<<"$opts"; then
		values=$(_dirgate_values "$cmd" "$prev")
		if [[ -n $values ]]; then
			COMPREPLY=($(compgen -W "$values" -- "$cur"))
		elif [[ $cmd == cert && $prev == --out ]]; then
			COMPREPLY=($(compgen -d -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${opts//=/}" -- "$cur"))
		return 0
	fi
	# operands: PROFILE, PLAN, FILE are files; a URI, filter or code is not
	case $cmd in
	uri | filter | explain | init | help) ;;
	*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
	return 0
}

complete -F _dirgate -o filenames dirgate
