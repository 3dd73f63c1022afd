import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { selectColumns } from '../../../output/render.js';
import { addVerb } from '../../verb.js';
import { nonNegativeIntArg } from '../../options.js';
import { DEFAULT_MAX_DELETE } from '../../../domain/access-code/prune-guard.js';
import { printPlan } from '../plan/print.js';
import { runApply, type ApplyOptions } from './run.js';

export function registerApply(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'apply', {
    description:
      'make the store match an access file, in one audited transaction; refuses a failing test (exit 5) or a stale --plan (exit 4). ' +
      '-f here is the file: give the output format before the noun',
    examples: [
      'accessctl apply -f access.yaml',
      'accessctl apply -f access.yaml --plan 3f9c2a7d41e0b6c5   # only if nothing moved since that plan',
      'accessctl -f json apply -f access.yaml --prune',
    ],
  })
    .requiredOption('-f, --file <FILE>', 'the access file (YAML or JSON; - for stdin)')
    .option('--prune', 'also delete users, resources, groups and services the file does not declare')
    .option('--max-delete <N>', `with --prune: allow up to N deletions (without it: at most ${DEFAULT_MAX_DELETE}, and never every object of a kind)`, nonNegativeIntArg)
    .option('--plan <ID>', 'the plan id printed by plan: refuse if the store or the file changed since');
  cmd.action(async (opts: ApplyOptions) => {
    selectColumns('planLine', ctx.globals().columns);
    // A PostgreSQL store connects first: its clock is the command's now (a no-op for SQLite).
    await ctx.ready();
    const { report, events } = await runApply(opts, ctx);
    await printPlan(ctx, report, { events });
  });
}
