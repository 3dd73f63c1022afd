import { Command, Option } from 'commander';
import type { Ctx } from './context.js';
import { emit, type Output } from './emit.js';
import { collectList, splitList } from './options.js';
import type { RecordKind } from '../output/fields.js';
import { selectColumns } from '../output/render.js';

export interface VerbSpec {
  description: string;
  /** Realistic command lines; every verb's --help ends with them. */
  examples: string[];
  aliases?: string[];
}

/** Verbs that take their references as positional arguments too: `accessctl user show ada@example.com`. */
const POSITIONAL_VERBS = new Set(['show', 'update', 'delete', 'enable', 'disable', 'revoke', 'rename', 'rotate']);

/** Verbs that print the object(s) they read or changed as `field  value` lines in a table. */
const OBJECT_VERBS = new Set(['show', 'create', 'update', 'rename', 'enable', 'disable', 'revoke', 'delete', 'rotate', 'exchange', 'verify', 'get', 'set', 'path', 'init', 'backup', 'version', 'approve', 'deny', 'cancel', 'review', 'start', 'decide', 'close']);

/** Adds a verb under a noun, with its examples at the end of --help. */
export function addVerb(noun: Command, name: string, spec: VerbSpec): Command {
  const cmd = noun.command(name).description(spec.description);
  for (const alias of spec.aliases ?? []) cmd.alias(alias);
  if (POSITIONAL_VERBS.has(name)) cmd.argument('[refs...]', 'ids or names, as with -i');
  cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  return cmd;
}

/**
 * Parse, then run, then render: the action only turns argv into options. A PostgreSQL store is
 * connected before `run` (its clock is the command's "now"), unless `connect` is false.
 */
export function act<O>(ctx: Ctx, kind: RecordKind, cmd: Command, run: (opts: O, args: string[]) => Promise<Output>, connect = true): Command {
  return cmd.action(async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    // --columns is checked before anything runs: a typo must not follow a committed change.
    selectColumns(kind, ctx.globals().columns);
    const opts = command.opts() as O & { id?: string[]; limit?: number };
    if (command.registeredArguments[0]?.name() === 'refs') {
      const positional = ((command.processedArgs[0] as string[] | undefined) ?? []).flatMap(splitList);
      if (positional.length > 0) opts.id = [...(opts.id ?? []), ...positional];
    }
    if (connect) await ctx.ready();
    const layout = OBJECT_VERBS.has(command.name()) || /^(add|remove)-/.test(command.name()) ? 'object' : 'list';
    await emit(ctx, await run(opts, command.processedArgs as string[]), { layout, limit: opts.limit });
  });
}

export function itemsOption(description = 'id or name; comma-separated or repeated'): Option {
  return new Option('-i, --id <refs>', description).argParser(collectList);
}

export function addNoun(program: Command, name: string, description: string, aliases: string[] = []): Command {
  const noun = program.command(name).description(description);
  for (const alias of aliases) noun.alias(alias);
  return noun;
}
