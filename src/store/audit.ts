import { sql, type Kysely } from 'kysely';
import { storedEventHash, type AuditEvent, type StoredEvent } from '../domain/audit-chain.js';
import { canonicalJson } from '../domain/canonical-json.js';
import type { AuditEntry } from '../domain/audit-events.js';
import type { IdGenerator } from '../domain/ids.js';
import { insertMany } from './insert-many.js';
import type { AuditEventsTable, Database } from './tables.js';

/** The end of the chain, read once per transaction and carried along as events are appended. */
export interface ChainHead {
  seq: number;
  hash: string;
  /** The last event's time: no event after it is stamped earlier (SPEC section 10). */
  at: number;
}

export async function chainHead(trx: Kysely<Database>): Promise<ChainHead> {
  const last = await trx.selectFrom('audit_events').select(['seq', 'hash', 'at']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return { seq: last?.seq ?? 0, hash: last?.hash ?? '', at: last?.at ?? Number.NEGATIVE_INFINITY };
}

/** Appends events to the chain after `head`, moving it. Call only inside the mutation's transaction. */
export async function appendAudit(
  trx: Kysely<Database>,
  entries: readonly AuditEntry[],
  meta: { at: number; actor: string; ids: IdGenerator },
  head: ChainHead,
): Promise<void> {
  if (entries.length === 0) return;
  let seq = head.seq;
  let prevHash = head.hash;
  // Time only moves forward in the log: a clock that reads earlier than the last event (a step
  // back, another machine's clock behind ours) records the predecessor's time instead.
  const at = Math.max(meta.at, head.at);
  const rows: AuditEventsTable[] = [];
  for (const entry of entries) {
    seq += 1;
    // The details are stored as the canonical text the hash covers, byte for byte.
    const event = {
      seq,
      id: meta.ids.id('event'),
      at,
      actor: meta.actor,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      details: canonicalJson(entry.details ?? {}),
    };
    const hash = storedEventHash(prevHash, event);
    rows.push({
      seq,
      id: event.id,
      at: event.at,
      actor: event.actor,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId,
      details: event.details,
      hash,
    });
    prevHash = hash;
  }
  await insertMany(trx, 'audit_events', rows as unknown as Array<Record<string, unknown>>);
  head.seq = seq;
  head.hash = prevHash;
  head.at = at;
}

export function auditRowToEvent(row: AuditEventsTable): AuditEvent & { hash: string } {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    hash: row.hash,
  };
}

export function auditRowToStored(row: AuditEventsTable): StoredEvent {
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details,
    hash: row.hash,
  };
}

/** Only seq and time, in seq order after a seq: what the time rule reads past the end of a replay. */
export function streamTimes(db: Kysely<Database>, afterSeq: number): AsyncIterable<{ seq: number; at: number }> {
  return db.selectFrom('audit_events').select(['seq', 'at']).where('seq', '>', afterSeq).orderBy('seq', 'asc').stream();
}

/** Every event in seq order, as stored, optionally only those after a seq. */
export async function* streamStored(db: Kysely<Database>, afterSeq = 0): AsyncIterable<StoredEvent> {
  for await (const row of db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq', 'asc').stream()) yield auditRowToStored(row);
}

export interface AuditFilter {
  since?: number | undefined;
  until?: number | undefined;
  actor?: string | undefined;
  /** A glob over action names: `key.*`, `*.delete`. */
  action?: string | undefined;
  target?: string | undefined;
  /** A cursor: only events after this seq (seq order does not depend on timestamps). */
  afterSeq?: number | undefined;
  limit?: number | undefined;
  /** Newest first (`audit list --last N` reads the newest N this way, then prints them in order). */
  newestFirst?: boolean | undefined;
}

/** Action names hold only letters, digits, dots and hyphens, so the glob needs no escaping. */
export function globToLike(glob: string): string {
  return glob.replace(/\*/g, '%').replace(/\?/g, '_');
}

export function streamAudit(db: Kysely<Database>, filter: AuditFilter = {}): AsyncIterable<AuditEventsTable> {
  let q = db.selectFrom('audit_events').selectAll();
  if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
  if (filter.until !== undefined) q = q.where('at', '<', filter.until);
  if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
  if (filter.target !== undefined) q = q.where('target_id', '=', filter.target);
  if (filter.action !== undefined) {
    // Lowered on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
    q = q.where(sql<string>`lower(action)`, 'like', globToLike(filter.action).toLowerCase());
  }
  if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
  q = q.orderBy('seq', filter.newestFirst ? 'desc' : 'asc');
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return q.stream();
}
