import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { UsageError } from '../domain/errors.js';
import { parseFormat } from '../output/format.js';
import { resolveStoreLocation } from '../store/connection.js';
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
import type { GlobalOptions } from './context.js';
import type { ContextControl } from './create-context.js';
import { splitList } from './options.js';
import { VERSION } from './version.js';

/** `accessctl help` shows the nouns grouped, one line each. */
const HELP_GROUPS: Array<[string, string[]]> = [
  ['People and things:', ['user', 'resource', 'group']],
  ['Machines:', ['service', 'key']],
  ['Questions:', ['access', 'audit']],
  ['Housekeeping:', ['sweep', 'config', 'db', 'completion']],
];

interface GlobalFlags {
  session?: string;
  db?: string;
  format?: string;
  quiet?: boolean;
  columns?: string;
  header: boolean;
  actor?: string;
  yes?: boolean;
  color: boolean;
}

/** A fresh command tree for one run; tests build their own. */
export function createProgram(ctx: ContextControl): Command {
  const program = new Command('accessctl')
    .description('Zero-trust access control for people and machines, in an embedded SQLite store or a shared PostgreSQL database.')
    .version(VERSION, '-V, --version')
    .option('-s, --session <name>', 'named store (default "default")')
    .option('--db <path>', 'store file, or postgres://user@host:port/dbname (or ACCESSCTL_DB)')
    .addOption(new Option('-f, --format <format>', 'table, csv, json or ndjson (or ACCESSCTL_FORMAT)'))
    .option('-q, --quiet', 'ids only, one per line (a new token alone for key create/rotate/exchange)')
    .option('--columns <a,b>', 'only these columns, in this order')
    .option('--no-header', 'CSV without its header row')
    .option('--actor <name>', 'who the audit log records (or ACCESSCTL_ACTOR, else the OS user)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showSuggestionAfterError(true)
    // Global options belong before the noun, so that a verb may have its own --actor (audit list).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      // Help shown for a missing verb is replaced by a one-line error in main.ts.
      writeErr: (s) => ctx.holdHelp(s),
      // Errors are reported once, by main, in the product's one-line form.
      outputError: () => {},
    });

  program.hook('preAction', (_program, action) => ctx.setGlobals(globalsFrom(mergeOutputFlags(program, action), ctx)));

  registerUser(program, ctx);
  registerResource(program, ctx);
  registerGroup(program, ctx);
  registerService(program, ctx);
  registerKey(program, ctx);
  registerAccess(program, ctx);
  registerSweep(program, ctx);
  registerConfig(program, ctx);
  registerAudit(program, ctx);
  registerDb(program, ctx);
  registerCompletion(program, ctx);

  for (const [heading, names] of HELP_GROUPS) {
    for (const name of names) program.commands.find((c) => c.name() === name)?.helpGroup(heading);
  }

  // Every nested command inherits the same error and output handling.
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
    if (cmd.commands.length === 0) addOutputFlags(cmd);
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

function globalsFrom(flags: GlobalFlags, ctx: ContextControl): GlobalOptions {
  const env = ctx.env;
  const format = parseFormat(flags.format ?? env.ACCESSCTL_FORMAT ?? 'table');
  const actor = flags.actor ?? env.ACCESSCTL_ACTOR ?? osUser(env);
  if (actor.trim() === '' || actor.length > 255 || /[\u0000-\u001f\u007f]/.test(actor)) {
    throw new UsageError('invalid --actor', 'use a short name without control characters');
  }
  return {
    format,
    quiet: Boolean(flags.quiet),
    columns: flags.columns === undefined ? undefined : splitList(flags.columns),
    header: flags.header,
    color: flags.color && ctx.io.stdoutIsTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    actor,
    yes: Boolean(flags.yes),
    location: resolveStoreLocation({ db: flags.db, session: flags.session }, env),
  };
}

function osUser(env: Record<string, string | undefined>): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

/** Output flags people habitually type after the verb (`group list -f json`, `delete -i x -y`). */
const OUTPUT_FLAGS = ['format', 'quiet', 'columns', 'header', 'yes', 'color'] as const;

function addOutputFlags(cmd: Command): void {
  const hidden = (flags: string, description: string) => new Option(flags, description).hideHelp();
  cmd
    .addOption(hidden('-f, --format <format>', 'output format'))
    .addOption(hidden('-q, --quiet', 'ids only'))
    .addOption(hidden('--columns <a,b>', 'columns'))
    .addOption(hidden('--no-header', 'no CSV header'))
    .addOption(hidden('-y, --yes', 'no confirmation'))
    .addOption(hidden('--no-color', 'no colours'));
}

/** Global flags, overridden by the same flags given after the verb. */
function mergeOutputFlags(program: Command, action: Command): GlobalFlags {
  const merged = { ...program.opts<GlobalFlags>() } as Record<string, unknown>;
  for (const name of OUTPUT_FLAGS) {
    if (action.getOptionValueSource(name) === 'cli') merged[name] = action.getOptionValue(name);
  }
  return merged as unknown as GlobalFlags;
}
