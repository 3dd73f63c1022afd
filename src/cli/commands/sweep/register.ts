import { Option, type Command } from 'commander';
import type { Ctx } from '../../context.js';
import { durationArg } from '../../options.js';
import { act, addVerb } from '../../verb.js';
import { runSweep, type SweepOptions } from './run.js';

export function registerSweep(program: Command, ctx: Ctx): void {
  const cmd = addVerb(program, 'sweep', {
    description: 'remove expired groups, memberships, assignments and short-lived tokens (cron-safe)',
    examples: [
      'accessctl sweep --dry-run',
      'accessctl sweep --grace 1d --keys',
      '*/5 * * * * accessctl -q sweep >/dev/null   # crontab: every five minutes',
    ],
  })
    .option('--dry-run', 'print what would be removed; change nothing')
    .addOption(new Option('--grace <duration>', 'keep things expired less than this long ago').argParser(durationArg))
    .option('--keys', 'also delete keys REVOKED or EXPIRED longer than the grace period');
  act<SweepOptions>(ctx, 'sweep', cmd, (o) => runSweep(o, ctx));
}
