import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { render, selectColumns } from '../../../output/render.js';
import { addVerb } from '../../verb.js';
import { testLine, testRecord } from '../plan/print.js';
import { runTest, testOutcome, type TestOptions } from './run.js';

export function registerTest(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'test', {
    description:
      "run an access file's tests against the state the file declares (the store with the file applied, or the file alone when there is no store), " +
      'one result a line (exit 5 if any fails); --live tests the store as it is. -f here is the file',
    examples: [
      'accessctl test -f access.yaml',
      'accessctl test -f access.yaml --live   # the store as it is: drift',
      'accessctl -f json test -f access.yaml',
      'git show HEAD:access.yaml | accessctl test -f -',
    ],
  })
    .requiredOption('-f, --file <FILE>', 'the access file (YAML or JSON; - for stdin)')
    .option('--live', 'test the store as it is, not the state the file declares');
  cmd.action(async (opts: TestOptions) => {
    const g = ctx.globals();
    selectColumns('testResult', g.columns);
    // A PostgreSQL store connects first: its clock is the command's now (a no-op for SQLite).
    await ctx.ready();
    const results = await runTest(opts, ctx);
    // Nothing printed and exit 0 would read as "all passed": say there was nothing to run.
    if (results.length === 0) ctx.note(`note: ${opts.file === '-' ? 'the access file' : opts.file} has no tests; nothing to run (add tests: to it, see docs/access-as-code.md)`);
    if (g.format === 'table' && !g.quiet && !g.columns) {
      await ctx.io.stdout.write(results.map((r) => `${testLine(r)}\n`).join(''));
    } else {
      await render(ctx.io.stdout, 'testResult', results.map(testRecord), { format: g.format, quiet: g.quiet, columns: g.columns, header: g.header, color: g.color, now: ctx.clock.now() });
    }
    const outcome = testOutcome(results);
    if (outcome) throw outcome;
  });
}
