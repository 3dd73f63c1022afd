import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { selectColumns } from '../../../output/render.js';
import { addVerb } from '../../verb.js';
import { nonNegativeIntArg } from '../../options.js';
import { DEFAULT_MAX_DELETE } from '../../../domain/access-code/prune-guard.js';
import { printPlan } from './print.js';
import { planOutcome, runPlan, type PlanOptions } from './run.js';

export function registerPlan(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'plan', {
    description:
      'show what applying an access file would change: objects (+ create, ~ change, - delete), effective access, tests, plan id. ' +
      'Exit 0 nothing to do, 7 changes pending, 5 a test fails. -f here is the file: give the output format before the noun',
    examples: [
      'accessctl plan -f access.yaml',
      'accessctl plan -f access.yaml --prune',
      'accessctl plan -f access.yaml --prune --max-delete 40   # a clean-up that deletes up to 40 objects',
      'accessctl -f json plan -f access.yaml > plan.json   # for CI bots',
      'accessctl -q plan -f access.yaml   # the plan id alone',
    ],
  })
    .requiredOption('-f, --file <FILE>', 'the access file (YAML or JSON; - for stdin)')
    .option('--prune', 'also delete users, resources, groups and services the file does not declare')
    .option('--max-delete <N>', `with --prune: allow up to N deletions (without it: at most ${DEFAULT_MAX_DELETE}, and never every object of a kind)`, nonNegativeIntArg);
  cmd.action(async (opts: PlanOptions) => {
    selectColumns('planLine', ctx.globals().columns);
    // A PostgreSQL store connects first: its clock is the command's now (a no-op for SQLite).
    await ctx.ready();
    const report = await runPlan(opts, ctx);
    await printPlan(ctx, report);
    const outcome = planOutcome(report, opts.file);
    if (outcome) throw outcome;
  });
}
