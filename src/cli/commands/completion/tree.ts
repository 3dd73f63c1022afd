import type { Command, Option } from 'commander';
import { KEY_STATUSES } from '../../../domain/key-lifecycle.js';
import { PROTOCOLS } from '../../../domain/ports.js';
import { SETTING_NAMES } from '../../../domain/settings.js';
import { ROLES } from '../../../domain/validate.js';
import { REQUEST_STATES } from '../../../domain/requests.js';
import { FORMATS } from '../../../output/format.js';
import { FINDINGS } from '../key/report.js';

/** Kinds of stored object whose names complete a reference. */
export type ObjectKind = 'user' | 'resource' | 'group' | 'service' | 'key' | 'session';

/** What the word under the cursor may be. */
export type Want =
  | { kind: 'words'; words: string[] }
  | { kind: 'files' }
  /** Names of stored objects; `prefix` is what a comma-separated list already holds (`a,b,`). */
  | { kind: 'objects'; of: ObjectKind; prefix: string }
  | { kind: 'values'; words: string[]; prefix: string };

const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden;
const names = (c: Command) => [c.name(), ...c.aliases()];
const optionHidden = (o: Option) => (o as unknown as { hidden?: boolean }).hidden === true;
const takesValue = (o: Option) => o.required || o.optional;

/** The option a word names (`-f`, `--format`, `--format=json`), among a command's options. */
function optionOf(cmd: Command, word: string): Option | undefined {
  const flag = word.includes('=') ? word.slice(0, word.indexOf('=')) : word;
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

/** The noun a verb belongs to, as an object kind (`service` answers to `account` too). */
function nounKind(cmd: Command): ObjectKind | undefined {
  const noun = cmd.parent?.parent ? cmd.parent.name() : cmd.name();
  return (['user', 'resource', 'group', 'service', 'key'] as const).find((k) => k === noun);
}

/** Enum values by the placeholder an option's flags give (`<role>`), or by the flag itself. */
const VALUES: Record<string, readonly string[]> = {
  format: FORMATS,
  role: ROLES,
  state: ['ACTIVE', 'DISABLED'],
  status: KEY_STATUSES,
  protocol: PROTOCOLS,
  rule: ['ALLOW_ALL', 'DENY_ALL'],
  findings: FINDINGS,
  /** A noun's own meaning of a placeholder wins: `request list --state`. */
  'request.state': REQUEST_STATES,
};
/** Flags whose value is a reference, and to what. */
const REFERENCES: Record<string, ObjectKind> = {
  '--user': 'user',
  '--users': 'user',
  '--resource': 'resource',
  '--resources': 'resource',
  '--group': 'group',
  '--groups': 'group',
  '--approvers': 'group',
  '--service': 'service',
  '--services': 'service',
  '--session': 'session',
};
/** Placeholders of values that are comma-separated lists. */
const LISTS = new Set(['refs', 'findings']);

/** What the value of `option` on `cmd` may be; `value` is what has been typed of it so far. */
export function valueWant(cmd: Command, option: Option, value: string): Want {
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const name = (placeholder?.[1] ?? placeholder?.[2] ?? '').toLowerCase();
  const prefix = LISTS.has(name) && value.includes(',') ? value.slice(0, value.lastIndexOf(',') + 1) : '';
  if (option.argChoices) {
    // key list --status takes either case: offer each value once, as it is printed.
    const upper = new Set(option.argChoices.filter((c) => c === c.toUpperCase()));
    return { kind: 'values', words: option.argChoices.filter((c) => upper.has(c) || !upper.has(c.toUpperCase())), prefix };
  }
  if (['file', 'path'].includes(name) && option.long !== '--db') return { kind: 'files' };
  if (option.long === '--db') return { kind: 'files' };
  // A placeholder that lists its values (`export -f <yaml|json>`) means them, whatever -f means elsewhere.
  if (name.includes('|')) return { kind: 'values', words: name.split('|'), prefix };
  if (option.long === '--id') {
    // key create -i names the key's service; everywhere else -i names the verb's own noun.
    const kind = cmd.name() === 'create' && cmd.parent?.name() === 'key' ? 'service' : nounKind(cmd);
    return kind ? { kind: 'objects', of: kind, prefix } : { kind: 'words', words: [] };
  }
  const ref = option.long ? REFERENCES[option.long] : undefined;
  if (ref && (name === 'ref' || name === 'refs' || name === 'name')) return { kind: 'objects', of: ref, prefix };
  const values = VALUES[`${cmd.parent?.name()}.${name}`] ?? VALUES[name];
  if (values) return { kind: 'values', words: [...values], prefix };
  return { kind: 'words', words: [] };
}

/** What a positional argument may be: the n-th operand of a leaf command. */
function operandWant(cmd: Command, n: number): Want {
  const args = cmd.registeredArguments;
  const arg = args[Math.min(n, args.length - 1)];
  if (!arg || (n >= args.length && !arg.variadic)) return { kind: 'words', words: [] };
  if (arg.argChoices) return { kind: 'words', words: [...arg.argChoices] };
  if (arg.name() === 'file') return { kind: 'files' };
  if (arg.name() === 'refs') {
    const kind = nounKind(cmd);
    return kind ? { kind: 'objects', of: kind, prefix: '' } : { kind: 'words', words: [] };
  }
  if (cmd.parent?.name() === 'config' && arg.name() === 'key') return { kind: 'words', words: [...SETTING_NAMES] };
  return { kind: 'words', words: [] };
}

/** The flags offered at a position: the command's own (shown in its help), then --help. */
function flagWords(cmd: Command, program: Command): string[] {
  const own = cmd.options.filter((o) => !optionHidden(o)).flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
  // Global flags belong before the noun; after a verb its help does not list them either.
  const version = cmd === program ? ['--version'] : [];
  return [...new Set([...own, ...version, '--help'])];
}

export interface Position {
  /** The command the words lead to: the program, a noun or a verb. */
  cmd: Command;
  want: Want;
  /** Global store flags given on the line (`-s prod`, `--db FILE`): names come from that store. */
  store: { session?: string; db?: string };
}

/**
 * Walks the command line as commander would: words before the cursor choose the noun and verb,
 * an option that takes a value consumes the next word (so `sweep --grace 1h --d` still knows the
 * verb), and the word under the cursor (`current`, possibly empty) gets what may stand there.
 */
export function position(program: Command, before: readonly string[], current: string): Position {
  let cmd = program;
  let operands = 0;
  let pending: Option | undefined;
  let afterDashes = false;
  const store: Position['store'] = {};
  const remember = (o: Option, value: string) => {
    if (o.long === '--session') store.session = value;
    if (o.long === '--db') store.db = value;
  };
  for (const word of before) {
    if (pending) {
      remember(pending, word);
      pending = undefined;
      continue;
    }
    if (!afterDashes && word === '--') {
      afterDashes = true;
      continue;
    }
    if (!afterDashes && word.startsWith('-') && word !== '-') {
      const o = optionOf(cmd, word);
      if (o && takesValue(o)) {
        if (word.includes('=')) remember(o, word.slice(word.indexOf('=') + 1));
        else if (!(o.short === word.slice(0, 2) && word.length > 2 && !word.startsWith('--'))) pending = o;
      }
      continue;
    }
    const sub = cmd.commands.find((c) => names(c).includes(word));
    if (sub && operands === 0) cmd = sub;
    else operands++;
  }
  if (pending) return { cmd, want: valueWant(cmd, pending, current), store };
  if (!afterDashes && current.startsWith('--') && current.includes('=')) {
    const o = optionOf(cmd, current);
    if (o && takesValue(o)) {
      const flag = current.slice(0, current.indexOf('=') + 1);
      const inner = valueWant(cmd, o, current.slice(flag.length));
      return { cmd, want: inner.kind === 'objects' || inner.kind === 'values' ? { ...inner, prefix: flag + inner.prefix } : inner, store };
    }
  }
  if (!afterDashes && current.startsWith('-')) return { cmd, want: { kind: 'words', words: flagWords(cmd, program) }, store };
  if (cmd.commands.length > 0) {
    const words = cmd.commands.filter((c) => visible(c) && c.name() !== 'help').map((c) => c.name());
    return { cmd, want: { kind: 'words', words }, store };
  }
  return { cmd, want: operandWant(cmd, operands), store };
}
