import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';
import { addVerb } from '../../verb.js';
import { runExport } from './run.js';

/** export speaks YAML (the people's default, in place of a table) or JSON. */
function exportFormat(value: string): string {
  const v = value.trim().toLowerCase();
  if (v === 'yaml' || v === 'yml') return 'table';
  if (v === 'json') return 'json';
  throw new InvalidArgumentError('export writes yaml or json');
}

export function registerExport(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'export', {
    description: 'write the whole store as an access file, by name and in stable order (YAML, or JSON with -f json); keys stay out',
    examples: ['accessctl export > access.yaml', 'accessctl export -f json > access.json', 'accessctl -s prod export | diff access.yaml -'],
  }).addOption(new Option('-f, --format <yaml|json>', 'yaml (default) or json').argParser(exportFormat));
  cmd.action(async (opts: { format?: string }) => {
    // The verb's own -f (after it) wins over the global one (before the noun).
    const f = opts.format ?? ctx.globals().format;
    if (f !== 'table' && f !== 'json') throw new UsageError(`export writes yaml or json, not ${f}`, 'accessctl export -f yaml');
    await ctx.ready();
    await runExport(ctx, f);
  });
}
