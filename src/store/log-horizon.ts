import { StoreError } from '../domain/errors.js';
import { formatTimestamp } from '../domain/time.js';
import type { Db } from './mutate.js';

/**
 * SPEC section 10, "The log's horizon". Replay starts at the first format 2 event: a store
 * created by this schema has nothing before it, a migrated store's log begins its replayable part
 * with the `store.migrate` snapshot, and a store not yet migrated has none. A point-in-time
 * question about a moment before that cannot be answered from the log, so it is refused (exit 6)
 * instead of answered from an empty or partial state.
 */
export async function refuseBeforeHorizon(db: Db, at: number, flag: string): Promise<void> {
  const first = await db.selectFrom('audit_events').select(['seq', 'details']).orderBy('seq').limit(1).executeTakeFirst();
  if (first === undefined || formatOf(first.details) === 2) return;
  const snapshot = await db.selectFrom('audit_events').select(['seq', 'at']).where('action', '=', 'store.migrate').orderBy('seq').limit(1).executeTakeFirst();
  if (snapshot === undefined) {
    throw new StoreError(
      `${flag} needs the audit log replayable, and this store's log is still in format 1 (schema 1): it has no snapshot to replay from`,
      'run: accessctl db migrate (it appends the snapshot); the history before it stays in the chain (audit list)',
    );
  }
  if (at < snapshot.at) {
    throw new StoreError(
      `${flag} ${formatTimestamp(at)} is before the log's horizon: the store was migrated at seq ${snapshot.seq} (${formatTimestamp(snapshot.at)}), and replay starts from that snapshot`,
      `ask about ${formatTimestamp(snapshot.at)} or later; the events before it are in the chain only (accessctl audit list)`,
    );
  }
}

function formatOf(details: string): 1 | 2 {
  try {
    return (JSON.parse(details) as { v?: unknown }).v === 2 ? 2 : 1;
  } catch {
    return 1;
  }
}
