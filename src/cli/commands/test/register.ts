import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { render, selectColumns } from '../../../output/render.js';
import { addVerb } from '../../verb.js';
import { testLine, testRecord } from '../plan/print.js';
import { runTest, testOutcome } from './run.js';

export function registerTest(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'test', {
    description: "run an access file's tests against the store as it is now, one result a line (exit 5 if any fails). -f here is the file",
    examples: ['accessctl test -f access.yaml', 'accessctl -f json test -f access.yaml', 'git show HEAD:access.yaml | accessctl test -f -'],
  }).requiredOption('-f, --file <FILE>', 'the access file (YAML or JSON; - for stdin)');
  cmd.action(async (opts: { file: string }) => {
    const g = ctx.globals();
    selectColumns('testResult', g.columns);
    // A PostgreSQL store connects first: its clock is the command's now (a no-op for SQLite).
    await ctx.ready();
    const results = await runTest(opts, ctx);
    if (g.format === 'table' && !g.quiet && !g.columns) {
      await ctx.io.stdout.write(results.map((r) => `${testLine(r)}\n`).join(''));
    } else {
      await render(ctx.io.stdout, 'testResult', results.map(testRecord), { format: g.format, quiet: g.quiet, columns: g.columns, header: g.header, color: g.color, now: ctx.clock.now() });
    }
    const outcome = testOutcome(results);
    if (outcome) throw outcome;
  });
}
