import { ExitCode, UsageError, UserError } from '../../../domain/errors.js';
import { verifyChain, type ChainCheck } from '../../../domain/audit-chain.js';
import { describeTimeFinding } from '../../../domain/log-time.js';
import { formatTimestamp, parseSince, parseTimestamp } from '../../../domain/time.js';
import { auditRowToEvent, auditRowToStored, streamAudit, streamStored } from '../../../store/audit.js';
import type { Db } from '../../../store/mutate.js';
import type { AuditEventsTable } from '../../../store/tables.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { mapStream } from '../../records.js';
import { firstMissing, readCheckpointFile } from './checkpoint.js';

export interface AuditListOptions {
  since?: string | undefined;
  until?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
  afterSeq?: string | undefined;
  limit?: string | undefined;
  last?: string | undefined;
}

export function auditRecord(row: AuditEventsTable): OutputRecord {
  const e = auditRowToEvent(row);
  return { ...e, at: formatTimestamp(e.at) };
}

function parseCount(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw.trim()) || Number(raw) < min) throw new UsageError(`${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not ${JSON.stringify(raw.slice(0, 40))}`, `e.g. ${flag} ${min > 0 ? 1000 : 42}`);
  return Number(raw);
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
    afterSeq: parseCount('--after-seq', opts.afterSeq, 0),
    limit: parseCount('--limit', opts.limit, 1),
  };
  const last = parseCount('--last', opts.last, 1);
  if (last !== undefined) {
    if (filter.limit !== undefined) throw new UsageError('--last and --limit cannot be used together', '--last N: the newest N; --limit N: the oldest N');
    // The newest N, read newest first and printed in seq order, as `tail` does: N rows in memory.
    const newest: AuditEventsTable[] = [];
    for await (const row of streamAudit(ctx.store().db, { ...filter, limit: last, newestFirst: true })) newest.push(row);
    return { kind: 'audit', records: newest.reverse().map(auditRecord) };
  }
  return { kind: 'audit', records: mapStream(streamAudit(ctx.store().db, filter), auditRecord) };
}

/** One pass over the chain; `onEvent` sees each verified event (replay, checkpoints ride along). */
export async function checkAuditChain(db: Db, onEvent?: Parameters<typeof verifyChain>[1], opts: { now?: number } = {}): Promise<ChainCheck> {
  return verifyChain(streamStored(db), onEvent, opts);
}

const broken = (message: string) => new UserError('AUDIT_BROKEN', ExitCode.internal, message, 'the audit log was altered outside accessctl');

export async function runAuditVerify(opts: { checkpoint?: string | undefined }, ctx: Ctx): Promise<Output> {
  const checkpoints = opts.checkpoint === undefined ? [] : readCheckpointFile(opts.checkpoint);
  const wanted = new Set(checkpoints.map((c) => c.seq));
  const hashAt = new Map<number, string>();
  const result = await checkAuditChain(ctx.store().db, wanted.size === 0 ? undefined : (e) => void (wanted.has(e.seq) && hashAt.set(e.seq, e.hash)), { now: ctx.clock.now() });
  const record = { ok: result.ok, events: result.events, brokenSeq: result.brokenSeq, reason: result.reason, checkpoints: checkpoints.length };
  if (!result.ok) return { kind: 'auditCheck', records: [record], after: broken(`audit chain broken at seq ${result.brokenSeq}: ${result.reason}`) };
  // An intact chain whose time runs backwards or ahead is a finding like a break: --as-of cannot read it (SPEC section 10).
  const time = result.time[0];
  if (time) {
    const reasons = result.time.map(describeTimeFinding).join('; ');
    return {
      kind: 'auditCheck',
      records: [{ ...record, ok: false, brokenSeq: time.seq, reason: `time does not only move forward: ${reasons}` }],
      after: new UserError('AUDIT_TIME', ExitCode.internal, `audit log time does not only move forward: ${reasons}`, 'a clock ran ahead or back, or events were edited; --as-of and access diff refuse this log'),
    };
  }
  const missing = firstMissing(checkpoints, hashAt, result.headSeq);
  if (missing) {
    const { checkpoint: c, reason } = missing;
    const where = `${opts.checkpoint} line ${c.line}`;
    return {
      kind: 'auditCheck',
      records: [{ ...record, ok: false, brokenSeq: c.seq, reason: `checkpoint at ${where}: ${reason}` }],
      after: broken(`the log no longer contains the checkpoint at ${where} (seq ${c.seq}): ${reason}`),
    };
  }
  return { kind: 'auditCheck', records: [record] };
}

/** The head of a verified chain, for the operator to keep elsewhere. Always one JSON line. */
/**
 * The head as it stands, without walking the chain (`audit verify` does that): the head event is
 * checked against the one before it, so a checkpoint never records a head that does not chain.
 */
export async function runAuditCheckpoint(ctx: Ctx): Promise<Output> {
  const rows: AuditEventsTable[] = [];
  for await (const row of streamAudit(ctx.store().db, { limit: 2, newestFirst: true })) rows.push(row);
  const [head, before] = rows.map(auditRowToStored);
  if (head === undefined) return { kind: 'checkpoint', format: 'ndjson', records: [{ seq: 0, hash: '', at: formatTimestamp(null) }] };
  const check = await verifyChain(
    (async function* () {
      yield head;
    })(),
    undefined,
    { prevHash: before?.hash ?? '', firstSeq: head.seq },
  );
  if (!check.ok || (before === undefined && head.seq !== 1) || (before !== undefined && before.seq !== head.seq - 1)) {
    throw broken(`audit chain broken at seq ${head.seq}: ${check.reason ?? 'an event is missing before it'}; no checkpoint taken (run accessctl audit verify)`);
  }
  return { kind: 'checkpoint', format: 'ndjson', records: [{ seq: head.seq, hash: head.hash, at: formatTimestamp(head.at) }] };
}
