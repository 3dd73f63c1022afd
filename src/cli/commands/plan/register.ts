import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { selectColumns } from '../../../output/render.js';
import { addVerb } from '../../verb.js';
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
      'accessctl -f json plan -f access.yaml > plan.json   # for CI bots',
      'accessctl -q plan -f access.yaml   # the plan id alone',
    ],
  })
    .requiredOption('-f, --file <FILE>', 'the access file (YAML or JSON; - for stdin)')
    .option('--prune', 'also delete users, resources, groups and services the file does not declare');
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
