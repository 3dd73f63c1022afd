import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { runAuditList, runAuditVerify, type AuditListOptions } from './run.js';

export function registerAudit(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'audit', 'the tamper-evident log of every change');
  act<AuditListOptions>(
    ctx,
    'audit',
    addVerb(noun, 'list', {
      description: 'list audit events, oldest first',
      examples: [
        'accessctl audit list --since 7d',
        'accessctl -f ndjson audit list --action "key.*" >> /var/log/accessctl.ndjson',
        'accessctl audit list --target grp_8J2kP0qLm3Xc9ZaB --actor alice',
      ],
    })
      .option('--since <when>', 'a duration back from now (7d) or an ISO time')
      .option('--until <time>', 'an ISO time (exclusive)')
      .option('--actor <name>', 'only events by this actor (this verb\'s own flag: to set the recorded actor, put --actor before the noun)')
      .option('--action <glob>', 'action glob, e.g. key.* or *.delete')
      .option('--target <id>', 'only events about this object id'),
    (o) => runAuditList(o, ctx),
  );
  act(
    ctx,
    'auditCheck',
    addVerb(noun, 'verify', {
      description: 'recompute the hash chain; exit 1 naming the first broken seq',
      examples: ['accessctl audit verify', 'accessctl -f json audit verify'],
    }),
    () => runAuditVerify(ctx),
  );
}
