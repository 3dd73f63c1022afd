import type { Kysely, Transaction } from 'kysely';
import type { IdGenerator } from '../domain/ids.js';
import { appendAudit, type AuditEntry } from './audit.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;

/** What a mutation sees: its transaction, one instant of "now", and the audit it must write. */
export interface Tx {
  readonly db: Transaction<Database>;
  readonly now: number;
  readonly ids: IdGenerator;
  audit(entry: AuditEntry): void;
}

export interface MutationMeta {
  now: number;
  actor: string;
  ids: IdGenerator;
}

/**
 * Runs `work` and its audit events as one BEGIN IMMEDIATE transaction: all or nothing.
 * `work` must not await anything but the database, so the write lock is held briefly.
 */
export async function mutate<T>(db: Db, meta: MutationMeta, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const entries: AuditEntry[] = [];
    const result = await work({ db: trx, now: meta.now, ids: meta.ids, audit: (e) => entries.push(e) });
    await appendAudit(trx, entries, { at: meta.now, actor: meta.actor, ids: meta.ids });
    return result;
  });
}

/** Splits a list into slices small enough for one statement's bound parameters. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
