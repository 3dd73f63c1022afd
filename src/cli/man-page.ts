import type { Command, Option } from 'commander';
import type { ContextControl } from './create-context.js';
import { createProgram } from './program.js';
import { VERSION } from './version.js';

/**
 * accessctl(1), written from the same command tree as --help and completion: every noun, verb,
 * flag and example, so the page cannot drift from the program. The build writes it to
 * man/accessctl.1 (scripts/build.mjs); the package ships it.
 */
export function manPage(): string {
  // The tree only: nothing is parsed or run, so the context is never used.
  const ctx = { io: { stdout: { write: () => true } }, holdHelp: () => {}, env: {} } as unknown as ContextControl;
  const program = createProgram(ctx);
  const out: string[] = [
    `.TH ACCESSCTL 1 "" "accessctl ${VERSION}" "User Commands"`,
    '.SH NAME',
    `accessctl \\- ${roff(lowerFirst(program.description()))}`,
    '.SH SYNOPSIS',
    '.B accessctl',
    '[\\fIglobal options\\fR] \\fInoun\\fR \\fIverb\\fR [\\fIoptions\\fR]',
    '.br',
    '.B accessctl',
    '[\\fIglobal options\\fR] \\fBexport\\fR|\\fBplan\\fR|\\fBapply\\fR|\\fBtest\\fR|\\fBsweep\\fR|\\fBcompletion\\fR [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    roff(program.description()),
    'Anywhere an object is referenced, its id or its unique name (email for users) works; lists of references are comma-separated and may be repeated.',
    'Global options go before the noun, and are accepted after the verb too.',
    '.SH GLOBAL OPTIONS',
    ...options(program),
    '.SH COMMANDS',
  ];
  for (const noun of program.commands.filter(visible)) {
    const verbs = noun.commands.filter(visible);
    for (const cmd of verbs.length > 0 ? verbs : [noun]) out.push(...command(cmd));
  }
  out.push(
    '.SH EXIT STATUS',
    ...[
      ['0', 'success (an empty list is success)'],
      ['1', 'unexpected failure; also audit verify finding a broken chain'],
      ['2', 'usage: unknown flag, missing or malformed value; a malformed access file'],
      ['3', 'not found'],
      ['4', 'conflict or forbidden transition'],
      ['5', 'access denied or invalid token; a failing access test'],
      ['6', 'store problem: locked, corrupt, not a store, newer schema, read-only, missing'],
      ['7', 'the command worked and found something to act on (plan with changes pending, key report --fail-on with a hit)'],
      ['130', 'cancelled at a prompt'],
    ].flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning!)]),
    '.SH ENVIRONMENT',
    ...[
      ['ACCESSCTL_HOME', 'the directory of the default store and of sessions'],
      ['ACCESSCTL_DB', 'the store: a SQLite file or a postgres:// URL'],
      ['ACCESSCTL_FORMAT', 'the default output format'],
      ['ACCESSCTL_ACTOR', 'who the audit log records (default: the OS user)'],
      ['ACCESSCTL_NOW', 'an ISO time reads treat as now (a what-if); writes are refused unless the store allows it'],
      ['ACCESSCTL_DEBUG', 'set to 1 for stack traces on errors'],
      ['NO_COLOR', 'no colours'],
      ['TERM', 'dumb: ASCII tables, no colours, and prompts as plain lines (numbered choices, answered by typing a line)'],
      ['COLUMNS', 'the terminal width tables are fitted to'],
    ].flatMap(([name, meaning]) => ['.TP', `.B ${name}`, roff(meaning!)]),
    '.SH FILES',
    '.TP',
    '.I ~/.local/share/accessctl/default.db',
    'the default store ($ACCESSCTL_HOME/default.db, else $XDG_DATA_HOME/accessctl/default.db); \\fB\\-s\\fR \\fINAME\\fR uses NAME.db beside it.',
    '.SH SEE ALSO',
    'The README and docs/ shipped with the package (access-as-code.md, audit-events.md, batch.md, reliability.md); examples/ (crontab, ship-audit.sh, access.yaml).',
    '',
  );
  return out.join('\n');
}

function command(cmd: Command): string[] {
  const path = commandPath(cmd);
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
  const aliases = cmd.aliases().length > 0 ? ` (also: ${cmd.aliases().join(', ')})` : '';
  const title = `accessctl ${path}${args ? ` ${args}` : ''}`;
  const lines = [`.SS "${roffQuoted(title)}"`, roff(cmd.description() + aliases)];
  lines.push(...options(cmd));
  const examples = examplesOf(cmd);
  if (examples.length > 0) {
    lines.push('.PP', 'Examples:', '.RS', '.nf', ...examples.map((e) => roff(`$ ${e}`)), '.fi', '.RE');
  }
  return lines;
}

function options(cmd: Command): string[] {
  return cmd.options
    .filter((o: Option) => !(o as unknown as { hidden?: boolean }).hidden)
    .flatMap((o) => {
      const choices = o.argChoices ? ` (${o.argChoices.join(', ')})` : '';
      return ['.TP', `.B ${roff(o.flags)}`, roff(o.description + choices)];
    });
}

/** The examples a verb's --help ends with (added as help text after the option list). */
function examplesOf(cmd: Command): string[] {
  let text = '';
  for (const listener of (cmd as unknown as NodeJS.EventEmitter).listeners('afterHelp')) {
    (listener as (c: { error: boolean; command: Command; write: (s: string) => void }) => void)({ error: false, command: cmd, write: (s) => (text += s) });
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith('  $ '))
    .map((l) => l.slice(4));
}

const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden && c.name() !== 'help';

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Text as roff reads it: backslashes and hyphens escaped, no line taken for a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function roffQuoted(text: string): string {
  return roff(text).replace(/"/g, '""');
}
