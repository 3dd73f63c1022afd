import { ExitCode, UsageError, UserError } from '../../../domain/errors.js';
import { verifyChain } from '../../../domain/audit-chain.js';
import { formatTimestamp, parseSince, parseTimestamp } from '../../../domain/time.js';
import { auditRowToEvent, streamAudit } from '../../../store/audit.js';
import type { Db } from '../../../store/mutate.js';
import type { AuditEventsTable } from '../../../store/tables.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { mapStream } from '../../records.js';

export interface AuditListOptions {
  since?: string | undefined;
  until?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
}

export function auditRecord(row: AuditEventsTable): OutputRecord {
  const e = auditRowToEvent(row);
  return { ...e, at: formatTimestamp(e.at) };
}

export async function runAuditList(opts: AuditListOptions, ctx: Ctx): Promise<Output> {
  const now = ctx.clock.now();
  if (opts.action !== undefined && !/^[A-Za-z0-9.*?-]{1,100}$/.test(opts.action)) {
    throw new UsageError(`invalid --action glob ${JSON.stringify(opts.action.slice(0, 40))}`, 'use action names with * and ?, e.g. key.* or *.delete');
  }
  const filter = {
    since: opts.since === undefined ? undefined : parseSince(opts.since, now, '--since'),
    until: opts.until === undefined ? undefined : parseTimestamp(opts.until, '--until'),
    actor: opts.actor,
    action: opts.action,
    target: opts.target,
  };
  return { kind: 'audit', records: mapStream(streamAudit(ctx.store().db, filter), auditRecord) };
}

export async function checkAuditChain(db: Db) {
  return verifyChain(mapEvents(streamAudit(db)));
}

async function* mapEvents(rows: AsyncIterable<AuditEventsTable>) {
  for await (const row of rows) yield auditRowToEvent(row);
}

export async function runAuditVerify(ctx: Ctx): Promise<Output> {
  const result = await checkAuditChain(ctx.store().db);
  return {
    kind: 'auditCheck',
    records: [{ ...result }],
    after: result.ok
      ? undefined
      : new UserError('AUDIT_BROKEN', ExitCode.internal, `audit chain broken at seq ${result.brokenSeq}: ${result.reason}`, 'the audit log was altered outside accessctl'),
  };
}
