/**
 * The completion scripts are thin: at each TAB they ask `accessctl __complete` what may stand at
 * the cursor, so every shell completes from the one command tree (src/cli/commands/completion/
 * tree.ts) and the store, and a new verb or flag needs no change here. The answer's first line is
 * `words` or `files`; the rest are the candidates.
 */

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The scripts run the \`accessctl\` on PATH, the command being completed; \`self\` (the program that
 * printed the script) stands in when there is none, as in a checkout loaded with
 * \`source <(./bin/accessctl completion bash)\`.
 */
export function bashScript(self: string): string {
  return `# accessctl completion for bash. Load with: source <(accessctl completion bash)
_accessctl() {
  local cur out line cmd
  local -a lines
  cmd=accessctl
  command -v accessctl >/dev/null 2>&1 || cmd=${shq(self)}
  cur="\${COMP_WORDS[COMP_CWORD]}"
  out="$("$cmd" __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" || return 0
  mapfile -t lines <<< "$out"
  COMPREPLY=()
  if [[ \${lines[0]} == files ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  for line in "\${lines[@]:1}"; do
    [[ -n $line ]] || continue
    # A name with a space or other special character is inserted quoted.
    if [[ $line =~ [^A-Za-z0-9@%_.,:/=+-] ]]; then printf -v line '%q' "$line"; fi
    COMPREPLY+=("$line")
  done
  return 0
}
complete -F _accessctl accessctl
`;
}

export function zshScript(self: string): string {
  // Written to a file in $fpath, compinit autoloads this file as the function _accessctl: the
  // body then defines the real function and calls it, so the first TAB completes too. Sourced,
  // it registers the function.
  return `#compdef accessctl
# accessctl completion for zsh. Install: accessctl completion zsh > "\${fpath[1]}/_accessctl"
# (then start a new shell), or load it now: source <(accessctl completion zsh)
_accessctl() {
  local out cmd=accessctl
  local -a lines
  (( $+commands[accessctl] )) || cmd=${shq(self)}
  out="$("$cmd" __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)" || return 1
  lines=("\${(@f)out}")
  if [[ "\${lines[1]}" == files ]]; then
    _files
    return
  fi
  (( \${#lines} > 1 )) || return 1
  compadd -- "\${(@)lines[2,-1]}"
}
if [[ "\${funcstack[1]}" == _accessctl ]]; then
  _accessctl "$@"
else
  compdef _accessctl accessctl
fi
`;
}

export function fishScript(self: string): string {
  return `# accessctl completion for fish. Load with: accessctl completion fish | source
# or install: accessctl completion fish > ~/.config/fish/completions/accessctl.fish
function __accessctl_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cmd accessctl
    command -q accessctl; or set cmd ${shq(self).replace(/'\\''/g, "\\'")}
    set -l out ($cmd __complete -- $words (commandline -ct) 2>/dev/null)
    or return
    if test "$out[1]" = files
        __fish_complete_path (commandline -ct)
    else
        set -e out[1]
        printf '%s\\n' $out
    end
end
complete -c accessctl -f -a '(__accessctl_complete)'
`;
}
