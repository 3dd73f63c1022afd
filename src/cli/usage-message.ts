import type { Command, CommanderError } from 'commander';

/** What an empty reference list (`-u ""`, `-u ","`) reports from its parser; reworded below. */
export const EMPTY_LIST = 'names nothing';

export interface UsageMessage {
  message: string;
  hint: string;
}

/**
 * commander's usage errors in the product's one-line form: one message per mistake (commander
 * would say "argument '0' is invalid. invalid duration "0" …"), and a "did you mean" for a
 * mistyped flag, hidden copies of the global flags included (commander looks at visible ones).
 */
export function usageMessage(err: CommanderError & { command?: Command }): UsageMessage {
  const path = err.command ? commandPath(err.command) : 'accessctl';
  const see = `see ${path} --help`;
  // commander says "error: unknown command 'grop'\n(Did you mean group?)": one line, one hint.
  const suggested = /\(Did you mean ([^?]+)\?\)/.exec(err.message)?.[1];
  const text = err.message.replace(/^error: /, '').replace(/\s*\(Did you mean [^?]+\?\)/, '');
  if (err.code === 'commander.unknownOption') {
    const flag = /unknown option '([^']+)'/.exec(text)?.[1] ?? '';
    const nearest = suggested ?? (err.command ? nearestFlag(flag.split('=')[0]!, err.command) : undefined);
    return { message: text, hint: nearest ? `did you mean '${nearest}'?` : `${see}; global options go before the noun or after the verb` };
  }
  if (err.code === 'commander.invalidArgument') {
    const option = /^option '([^']+)' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/.exec(text);
    const argument = /^command-argument value '([\s\S]*)' is invalid for argument '([^']+)'\. ([\s\S]*)$/.exec(text);
    if (option) return invalidValue(longFlag(option[1]!), option[2]!, option[3]!, see);
    if (argument) return invalidValue(argument[2]!, argument[1]!, argument[3]!, see);
  }
  return { message: text, hint: suggested ? `did you mean '${suggested}'?` : see };
}

/** `--ttl "0": invalid duration` once, with the parser's hint as the hint. */
function invalidValue(flag: string, value: string, reason: string, see: string): UsageMessage {
  if (reason === EMPTY_LIST) {
    const what = flag.replace(/^-+/, '');
    return { message: `missing ${what === 'id' ? 'reference' : what}`, hint: `${flag} names nothing; pass at least one` };
  }
  const hinted = /^([\s\S]*?) \(([^()]*)\)$/.exec(reason);
  const said = hinted ? hinted[1]! : reason;
  const hint = hinted ? hinted[2]! : see;
  const quoted = JSON.stringify(value);
  return { message: said.includes(quoted) ? `${flag}: ${said}` : `${flag} ${quoted}: ${said}`, hint };
}

/** `-g, --group <name>` → `--group`. */
function longFlag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags.split(/[ ,]/)[0]!;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The command's flags (hidden ones too) and its ancestors': the closest within two edits. */
export function nearestFlag(typed: string, cmd: Command): string | undefined {
  if (!typed.startsWith('--') || typed.length < 4) return undefined;
  const candidates = new Set<string>();
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const o of c.options) if (o.long) candidates.add(o.long);
  }
  candidates.add('--help');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const flag of candidates) {
    const d = editDistance(typed.slice(2), flag.slice(2));
    if (d < bestDistance) [best, bestDistance] = [flag, d];
  }
  const limit = Math.min(2, Math.floor((typed.length - 2) / 3));
  return bestDistance <= Math.max(1, limit) && best !== typed ? best : undefined;
}

/** Damerau–Levenshtein (optimal string alignment): a swapped pair of letters is one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
