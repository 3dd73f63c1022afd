import type { Command } from 'commander';
import type { Ctx } from '../../context.js';
import { act, addNoun, addVerb } from '../../verb.js';
import { runAuditCheckpoint, runAuditList, runAuditVerify, type AuditListOptions } from './run.js';

export function registerAudit(program: Command, ctx: Ctx): void {
  const noun = addNoun(program, 'audit', 'the tamper-evident log of every change');
  act<AuditListOptions>(
    ctx,
    'audit',
    addVerb(noun, 'list', {
      description: 'list audit events, oldest first',
      examples: [
        'accessctl audit list --since 7d',
        'accessctl audit list --last 20',
        'accessctl -f ndjson audit list --action "key.*" >> /var/log/accessctl.ndjson',
        'accessctl audit list --target grp_8J2kP0qLm3Xc9ZaB --actor alice',
        'accessctl -f ndjson audit list --after-seq "$(cat /var/lib/accessctl/shipped-seq)" --limit 10000   # a cursor for shipping',
      ],
    })
      .option('--since <when>', 'a duration back from now (7d) or an ISO time')
      .option('--until <time>', 'an ISO time (exclusive)')
      .option('--actor <name>', 'only events by this actor (this verb\'s own flag: to set the recorded actor, put --actor before the noun)')
      .option('--action <glob>', 'action glob, e.g. key.* or *.delete')
      .option('--target <id>', 'only events about this object id')
      .option('--after-seq <n>', 'only events after this seq, in seq order (a shipping cursor: never misses or repeats)')
      .option('--limit <n>', 'at most this many events (the oldest)')
      .option('--last <n>', 'the newest N events, in seq order'),
    (o) => runAuditList(o, ctx),
  );
  act<{ checkpoint?: string }>(
    ctx,
    'auditCheck',
    addVerb(noun, 'verify', {
      description: 'recompute the hash chain; exit 1 naming the first broken seq or the first checkpoint the log no longer contains',
      examples: [
        'accessctl audit verify',
        'accessctl audit verify --checkpoint /srv/audit/checkpoints.ndjson',
        'accessctl audit verify --checkpoint /var/log/accessctl.ndjson   # shipped audit lines are checkpoints too',
      ],
    }).option('--checkpoint <file>', 'also check every checkpoint line in FILE (audit checkpoint output or NDJSON audit lines)'),
    (o) => runAuditVerify({ checkpoint: o.checkpoint }, ctx),
  );
  act(
    ctx,
    'checkpoint',
    addVerb(noun, 'checkpoint', {
      description: 'print the head of the chain as one JSON line {"seq","hash","at"} to keep elsewhere (audit verify walks the chain)',
      examples: ['accessctl audit checkpoint >> /srv/audit/checkpoints.ndjson', 'accessctl audit checkpoint | aws s3 cp - s3://audit-bucket/accessctl/$(date +%F).json'],
    }),
    () => runAuditCheckpoint(ctx),
  );
}
