import type { Kysely, Transaction } from 'kysely';
import type { IdGenerator } from '../domain/ids.js';
import { refuseOverrideUnlessAllowed } from './clock-guard.js';
import { appendAudit, chainHead, type AuditEntry, type ChainHead } from './audit.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;

/** What a mutation sees: its transaction, one instant of "now", and the audit it must write. */
export interface Tx {
  readonly db: Transaction<Database>;
  readonly now: number;
  readonly ids: IdGenerator;
  audit(entry: AuditEntry): void;
  /** Writes the audit events recorded so far: long mutations call it to keep memory flat. */
  flushAudit(): Promise<void>;
}

export interface MutationMeta {
  now: number;
  actor: string;
  ids: IdGenerator;
  /** `now` is not the machine's time (ACCESSCTL_NOW): allowed only on a store that opted in. */
  clockOverridden?: boolean;
}

/**
 * Runs `work` and its audit events as one BEGIN IMMEDIATE transaction: all or nothing.
 * `work` must not await anything but the database, so the write lock is held briefly.
 */
export async function mutate<T>(db: Db, meta: MutationMeta, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    // Every write passes here, so the clock rule is decided once, for every command.
    if (meta.clockOverridden) await refuseOverrideUnlessAllowed(trx, meta.now);
    let entries: AuditEntry[] = [];
    let head: ChainHead | null = null;
    const flushAudit = async () => {
      if (entries.length === 0) return;
      head ??= await chainHead(trx);
      const batch = entries;
      entries = [];
      await appendAudit(trx, batch, { at: meta.now, actor: meta.actor, ids: meta.ids }, head);
    };
    const result = await work({ db: trx, now: meta.now, ids: meta.ids, audit: (e) => void entries.push(e), flushAudit });
    await flushAudit();
    return result;
  });
}

/** Splits a list into slices small enough for one statement's bound parameters. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
