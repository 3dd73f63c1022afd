import type { Command } from 'commander';
import { KEY_STATUSES } from '../../../domain/key-lifecycle.js';
import { PROTOCOLS } from '../../../domain/ports.js';
import { SETTING_NAMES } from '../../../domain/settings.js';
import { ROLES } from '../../../domain/validate.js';
import { FORMATS } from '../../../output/format.js';

/** Values offered after a flag, wherever it appears. */
const FLAG_VALUES: Record<string, readonly string[]> = {
  '--format': FORMATS,
  '-f': FORMATS,
  '--role': ROLES,
  '--state': ['ACTIVE', 'DISABLED'],
  '--status': KEY_STATUSES,
  '--protocol': PROTOCOLS,
  '--tcp': ['ALLOW_ALL', 'DENY_ALL'],
  '--udp': ['ALLOW_ALL', 'DENY_ALL'],
};

/** Flags that take a value, so the word after them is not a noun or verb. */
const GLOBAL_VALUE_FLAGS = ['-s', '--session', '--db', '-f', '--format', '--columns', '--actor'];

interface Tree {
  globals: string[];
  nouns: Array<{ name: string; description: string; verbs: Array<{ name: string; description: string; flags: Array<{ long?: string; short?: string; description: string }> }> }>;
}

function treeOf(program: Command): Tree {
  const flagsOf = (cmd: Command) =>
    cmd.options
      .filter((o) => !(o as unknown as { hidden?: boolean }).hidden)
      .map((o) => ({ long: o.long, short: o.short, description: o.description }));
  return {
    globals: program.options.flatMap((o) => [o.short, o.long].filter((x): x is string => Boolean(x))),
    nouns: program.commands
      .filter((c) => c.name() !== 'help')
      .map((noun) => ({
        name: noun.name(),
        description: noun.description(),
        verbs:
          noun.commands.length > 0
            ? noun.commands.map((v) => ({ name: v.name(), description: v.description(), flags: flagsOf(v) }))
            : [{ name: '', description: '', flags: flagsOf(noun) }],
      })),
  };
}

const words = (list: readonly (string | undefined)[]) => list.filter(Boolean).join(' ');
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function bashScript(program: Command): string {
  const t = treeOf(program);
  const nounCase = t.nouns
    .filter((n) => n.verbs[0]!.name !== '')
    .map((n) => `      ${n.name}${aliasesOf(program, n.name)}) words=${shq(words(n.verbs.map((v) => v.name)))} ;;`)
    .join('\n');
  const verbCase = t.nouns
    .flatMap((n) =>
      n.verbs.map((v) => {
        const key = v.name === '' ? n.name : `${n.name} ${v.name}`;
        return `      ${shq(key)}) words=${shq(words(v.flags.flatMap((f) => [f.short, f.long])))} ;;`;
      }),
    )
    .join('\n');
  const valueCase = Object.entries(FLAG_VALUES)
    .map(([flag, values]) => `      ${flag}) COMPREPLY=($(compgen -W ${shq(values.join(' '))} -- "$cur")); return ;;`)
    .join('\n');
  const nounAliases = program.commands.flatMap((c) => c.aliases().map((a) => `      ${a}) noun=${c.name()} ;;`)).join('\n');
  return `# accessctl completion for bash. Load with: source <(accessctl completion bash)
_accessctl() {
  local cur prev noun="" verb="" words="" i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "\${COMP_WORDS[i-1]}" in ${GLOBAL_VALUE_FLAGS.join('|')}) continue ;; esac
    if [[ -z $noun ]]; then noun=$w; elif [[ -z $verb ]]; then verb=$w; fi
  done
  case "$noun" in
${nounAliases}
  esac
  case "$prev" in
${valueCase}
  esac
  if [[ "$noun $verb $prev" == "config get "* || "$noun $verb $prev" == "config set "* ]] && [[ "$prev" == get || "$prev" == set ]]; then
    COMPREPLY=($(compgen -W ${shq(SETTING_NAMES.join(' '))} -- "$cur")); return
  fi
  if [[ -z $noun ]]; then
    words=${shq(words([...t.nouns.map((n) => n.name), ...t.globals]))}
  elif [[ -z $verb ]]; then
    case "$noun" in
${nounCase}
      *) words="" ;;
    esac
    case "$noun" in sweep) words=${shq(words(t.nouns.find((n) => n.name === 'sweep')?.verbs[0]?.flags.flatMap((f) => [f.short, f.long]) ?? []))} ;; esac
  else
    case "$noun $verb" in
${verbCase}
      *) words="" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _accessctl accessctl
`;
}

function aliasesOf(program: Command, noun: string): string {
  const cmd = program.commands.find((c) => c.name() === noun);
  return cmd && cmd.aliases().length > 0 ? `|${cmd.aliases().join('|')}` : '';
}

export function zshScript(program: Command): string {
  return `#compdef accessctl
# accessctl completion for zsh. Load with: source <(accessctl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

export function fishScript(program: Command): string {
  const t = treeOf(program);
  const lines = ['# accessctl completion for fish. Load with: accessctl completion fish | source', 'complete -c accessctl -f'];
  const esc = (s: string) => s.replace(/'/g, "\\'");
  for (const n of t.nouns) {
    lines.push(`complete -c accessctl -n '__fish_use_subcommand' -a '${n.name}' -d '${esc(n.description)}'`);
    for (const v of n.verbs) {
      const cond = v.name === '' ? `__fish_seen_subcommand_from ${n.name}` : `__fish_seen_subcommand_from ${n.name}; and __fish_seen_subcommand_from ${v.name}`;
      if (v.name !== '') {
        const verbs = n.verbs.map((x) => x.name).join(' ');
        lines.push(`complete -c accessctl -n '__fish_seen_subcommand_from ${n.name}; and not __fish_seen_subcommand_from ${verbs}' -a '${v.name}' -d '${esc(v.description)}'`);
      }
      for (const f of v.flags) {
        const parts = [`complete -c accessctl -n '${cond}'`];
        if (f.long) parts.push(`-l ${f.long.replace(/^--/, '')}`);
        if (f.short) parts.push(`-s ${f.short.replace(/^-/, '')}`);
        const values = (f.long && FLAG_VALUES[f.long]) ?? undefined;
        if (values) parts.push(`-x -a '${values.join(' ')}'`);
        parts.push(`-d '${esc(f.description)}'`);
        lines.push(parts.join(' '));
      }
    }
  }
  lines.push(`complete -c accessctl -n '__fish_seen_subcommand_from get set' -a '${SETTING_NAMES.join(' ')}'`);
  lines.push(`complete -c accessctl -l format -s f -x -a '${FORMATS.join(' ')}' -d 'output format'`);
  return `${lines.join('\n')}\n`;
}
