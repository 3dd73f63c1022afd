import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { UsageError } from '../domain/errors.js';
import { assertCleanText } from '../domain/text-hygiene.js';
import { parseFormat } from '../output/format.js';
import { resolveStoreLocation } from '../store/location.js';
import { registerUser } from './commands/user/register.js';
import { registerResource } from './commands/resource/register.js';
import { registerGroup } from './commands/group/register.js';
import { registerService } from './commands/service/register.js';
import { registerKey } from './commands/key/register.js';
import { registerAccess } from './commands/access/register.js';
import { registerSweep } from './commands/sweep/register.js';
import { registerConfig } from './commands/config/register.js';
import { registerCompletion } from './commands/completion/register.js';
import { registerAudit } from './commands/audit/register.js';
import { registerDb } from './commands/db/register.js';
import { registerExport } from './commands/export/register.js';
import { registerPlan } from './commands/plan/register.js';
import { registerApply } from './commands/apply/register.js';
import { registerTest } from './commands/test/register.js';
import { registerVersion } from './commands/version/register.js';
import { registerServe } from './commands/serve/register.js';
import { registerRequest } from './commands/request/register.js';
import { registerReview } from './commands/review/register.js';
import type { GlobalOptions } from './context.js';
import type { ContextControl } from './create-context.js';
import { limitArg, splitList } from './options.js';
import { mayCreateStore, storeAccess } from './store-policy.js';
import { VERSION } from './version.js';

/** `accessctl help` shows the nouns grouped, one line each. */
const HELP_GROUPS: Array<[string, string[]]> = [
  ['People and things:', ['user', 'resource', 'group', 'request', 'review']],
  ['Machines:', ['service', 'key']],
  ['Questions:', ['access', 'audit', 'serve']],
  ['Access as code:', ['export', 'plan', 'apply', 'test']],
  ['Housekeeping:', ['sweep', 'config', 'db', 'completion', 'version']],
];

interface GlobalFlags {
  session?: string;
  db?: string;
  format?: string;
  quiet?: boolean;
  columns?: string;
  wide?: boolean;
  header: boolean;
  actor?: string;
  yes?: boolean;
  color: boolean;
}

/** Every noun (and top-level verb) with the names it answers to, in the order help lists them. */
const NOUNS: Array<[names: string[], register: (program: Command, ctx: ContextControl) => void]> = [
  [['user'], registerUser],
  [['resource'], registerResource],
  [['group'], registerGroup],
  [['request'], registerRequest],
  [['review'], registerReview],
  [['service', 'account'], registerService],
  [['key'], registerKey],
  [['access'], registerAccess],
  [['sweep'], registerSweep],
  [['config'], registerConfig],
  [['audit'], registerAudit],
  [['db'], registerDb],
  [['completion'], registerCompletion],
  [['export'], registerExport],
  [['plan'], registerPlan],
  [['apply'], registerApply],
  [['test'], registerTest],
  [['serve'], registerServe],
  [['version'], registerVersion],
];

/** Global options that take a value, to find the first word of a command line. */
const VALUE_FLAGS = new Set(['-s', '--session', '--db', '-f', '--format', '--columns', '--actor']);

/** Where the noun is in a command line: the first word that is not a global option or its value. */
export function commandWordIndex(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i += VALUE_FLAGS.has(argv[i]!) ? 2 : 1;
  return i;
}

/**
 * A fresh command tree for one run; tests build their own. Given the command line, only its noun
 * is built (a call pays for its own verbs, not sixty); without one, an unknown word (so that "did
 * you mean" sees every noun), top-level help and completion (which describes them all), every noun.
 */
export function createProgram(ctx: ContextControl, argv?: readonly string[]): Command {
  const program = new Command('accessctl')
    .description('Zero-trust access control for people and machines, in an embedded SQLite store or a shared PostgreSQL database.')
    .version(VERSION, '-V, --version')
    .option('-s, --session <name>', 'named store (default "default")')
    .option('--db <path>', 'store file, or postgres://user@host:port/dbname (or ACCESSCTL_DB)')
    .addOption(new Option('-f, --format <format>', 'table, csv, json or ndjson (or ACCESSCTL_FORMAT)'))
    .option('-q, --quiet', 'ids only, one per line (a new token alone for key create/rotate/exchange)')
    .option('--columns <a,b>', 'only these columns, in this order')
    .option('--wide', 'tables: every column (a terminal shows a short set)')
    .option('--no-header', 'CSV without its header row')
    .option('--actor <name>', 'who the audit log records (or ACCESSCTL_ACTOR, else the OS user)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    // Global options go before the noun, or after the verb (copies on each verb, see
    // addGlobalCopies), so that a verb may have its own flag of the same name (audit list --actor).
    .enablePositionalOptions()
    .exitOverride((err) => {
      throw Object.assign(err, { command: program });
    })
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      // Help shown for a missing verb is replaced by a one-line error in main.ts.
      writeErr: (s) => ctx.holdHelp(s),
      // Errors are reported once, by main, in the product's one-line form.
      outputError: () => {},
    })
    // A verb's tgcli alias (addResources) in the list of verbs made the term column so wide that
    // descriptions could not wrap within 80 columns; the alias stays in the verb's own usage line.
    .configureHelp({ subcommandTerm: (cmd) => [cmd.name(), cmd.options.length > 0 ? '[options]' : '', ...cmd.registeredArguments.map(argumentTerm)].filter(Boolean).join(' ') });

  program.hook('preAction', (_program, action) => ctx.setGlobals(globalsFrom(mergeOutputFlags(program, action), ctx, action)));

  const word = argv === undefined ? undefined : argv[commandWordIndex(argv)];
  const one = word === undefined || word === 'completion' ? undefined : NOUNS.find(([names]) => names.includes(word));
  // `accessctl --version` needs no noun at all.
  const versionOnly = word === undefined && argv !== undefined && argv.some((a) => a === '-V' || a === '--version') && !argv.some((a) => a === '-h' || a === '--help');
  for (const [, register] of one ? [one] : versionOnly ? [] : NOUNS) register(program, ctx);

  for (const [heading, names] of HELP_GROUPS) {
    for (const name of names) program.commands.find((c) => c.name() === name)?.helpGroup(heading);
  }
  // commander's own `help` would sit alone under "Commands:", between two of the groups above.
  program.addHelpCommand(new Command('help').argument('[command]').description('display help for command').helpOption(false).helpGroup('Housekeeping:'));

  // With one noun built, its other verbs are never parsed: only the invoked verb (when the line
  // names one) gets the copied global options and --limit, ten options fewer on each of the rest.
  const verb = one && argv ? argv.slice(commandWordIndex(argv) + 1).find((a) => !a.startsWith('-')) : undefined;
  const names = (c: Command) => [c.name(), ...c.aliases()];
  const idle = (cmd: Command) =>
    verb !== undefined && cmd.parent !== program && !names(cmd).includes(verb) && (cmd.parent?.commands.some((c) => names(c).includes(verb)) ?? false);

  // Every nested command inherits the same error and output handling.
  const configure = (cmd: Command) => {
    cmd
      .exitOverride((err) => {
        throw Object.assign(err, { commandPath: commandPath(cmd), command: cmd });
      })
      .configureOutput(program.configureOutput())
      .showSuggestionAfterError(true);
    if (cmd.commands.length === 0 && !idle(cmd)) {
      if (LIST_VERBS.has(cmd.name()) && !hasFlag(cmd, '--limit')) cmd.addOption(new Option('--limit <n>', 'print at most this many').argParser(limitArg));
      addGlobalCopies(cmd);
    }
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

function globalsFrom(flags: GlobalFlags, ctx: ContextControl, action: Command): GlobalOptions {
  const env = ctx.env;
  const format = parseFormat(flags.format ?? env.ACCESSCTL_FORMAT ?? 'table');
  const actor = flags.actor ?? env.ACCESSCTL_ACTOR ?? osUser(env);
  if (actor.trim() === '' || actor.length > 255) throw new UsageError('invalid --actor', 'use a short name, 1-255 characters');
  assertCleanText(flags.actor === undefined && env.ACCESSCTL_ACTOR !== undefined ? 'ACCESSCTL_ACTOR' : '--actor', actor);
  return {
    format,
    quiet: Boolean(flags.quiet),
    columns: flags.columns === undefined ? undefined : splitList(flags.columns),
    header: flags.header,
    color: wantsColour(flags.color, ctx.io.stdoutIsTTY, env),
    promptColor: wantsColour(flags.color, true, env),
    wide: Boolean(flags.wide),
    ascii: plainTerminal(env),
    width: ctx.io.stdoutIsTTY ? terminalWidth(env, ctx.io.stdoutColumns) : undefined,
    actor,
    yes: Boolean(flags.yes),
    location: asksGate(action, flags) ? GATE_LOCATION : { ...resolveStoreLocation({ db: flags.db, session: flags.session }, env), create: mayCreateStore(action), access: storeAccess(action) },
  };
}

/** `access check --socket` opens no store: ACCESSCTL_DB, HOME and the rest are none of its business. */
const GATE_LOCATION = { path: '(the gate asked through --socket)', managedDir: false, create: false, access: 'read' } as const;

function asksGate(action: Command, flags: GlobalFlags): boolean {
  if (action.name() !== 'check' || action.parent?.name() !== 'access' || action.opts().socket === undefined) return false;
  if (flags.db !== undefined || flags.session !== undefined) throw new UsageError('--socket asks a running gate, which reads its own store', 'drop --db and -s');
  return true;
}

/**
 * no-color.org: NO_COLOR set and not empty turns colour off; FORCE_COLOR=0 (or false) too, and
 * any other FORCE_COLOR turns it on where it would be off (piped); --no-color always wins.
 */
export function wantsColour(flag: boolean, stdoutIsTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (!flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  return stdoutIsTTY && env.TERM !== 'dumb';
}

/** A terminal or locale that cannot show box drawing and cursor movement: TERM=dumb, LC_ALL=C. */
export function plainTerminal(env: Record<string, string | undefined>): boolean {
  if (env.TERM === 'dumb') return true;
  // The first of LC_ALL, LC_CTYPE, LANG that is set decides, as setlocale(3) does; none is "C".
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '') ?? 'C';
  return !/utf-?8/i.test(locale);
}

function argumentTerm(arg: { name(): string; required: boolean; variadic: boolean }): string {
  const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
  return arg.required ? `<${name}>` : `[${name}]`;
}

function osUser(env: Record<string, string | undefined>): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

/** COLUMNS (as a shell sets it) wins over what the terminal reports; 80 when neither is known. */
function terminalWidth(env: Record<string, string | undefined>, reported: number | undefined): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20 && fromEnv <= 10_000) return fromEnv;
  return reported !== undefined && reported > 0 ? reported : 80;
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Verbs that print a list: they take --limit and show a table of rows. */
export const LIST_VERBS: ReadonlySet<string> = new Set(['list', 'report']);

const hasFlag = (cmd: Command, flag: string) => cmd.options.some((o) => o.long === flag || o.short === flag);

/**
 * The global options, accepted after the verb too (`group list -f json`, `user list -s prod`).
 * A verb that has its own flag of the same name keeps it (audit list --actor filters by actor).
 */
const GLOBAL_COPIES: Array<[name: string, flags: string, description: string]> = [
  ['session', '-s, --session <name>', 'named store'],
  ['db', '--db <path>', 'store file'],
  ['format', '-f, --format <format>', 'output format'],
  ['quiet', '-q, --quiet', 'ids only'],
  ['columns', '--columns <a,b>', 'columns'],
  ['wide', '--wide', 'every column'],
  ['header', '--no-header', 'no CSV header'],
  ['actor', '--actor <name>', 'audit actor'],
  ['yes', '-y, --yes', 'no confirmation'],
  ['color', '--no-color', 'no colours'],
];
const copiedGlobals = new WeakMap<Command, string[]>();

function addGlobalCopies(cmd: Command): void {
  const copied: string[] = [];
  for (const [name, flags, description] of GLOBAL_COPIES) {
    const option = new Option(flags, description).hideHelp();
    if (hasFlag(cmd, option.long!) || (option.short !== undefined && hasFlag(cmd, option.short))) continue;
    cmd.addOption(option);
    copied.push(name);
  }
  copiedGlobals.set(cmd, copied);
}

/** Global flags, overridden by the same flags given after the verb. */
function mergeOutputFlags(program: Command, action: Command): GlobalFlags {
  const merged = { ...program.opts<GlobalFlags>() } as Record<string, unknown>;
  for (const name of copiedGlobals.get(action) ?? []) {
    if (action.getOptionValueSource(name) === 'cli') merged[name] = action.getOptionValue(name);
  }
  return merged as unknown as GlobalFlags;
}
