import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { storedEventHash } from '../../domain/audit-chain.js';
import { event, insertChange, PRIMARY_KEY, type ReplayTable } from '../../domain/audit-events.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import { BASE62 } from '../../domain/ids.js';

/**
 * Schema version 2 writes format 2 events, which replay can fold; format 1 events cannot be
 * replayed. So the upgrade appends one `store.migrate` event holding every live row: replay
 * starts from it. It runs inside the migration's transaction, reads no clock (it takes the last
 * event's time) and draws no random id (its id derives from the chain head), so it is repeatable.
 */
export function appendMigrationSnapshot(sqlite: BetterSqlite3.Database, from: number, to: number): void {
  const head = sqlite.prepare('select seq, at, hash from audit_events order by seq desc limit 1').get() as { seq: number; at: number; hash: string } | undefined;
  const changes = [];
  // Frozen in time: a table a later schema added (requests, schema 4) is not there yet at schema 2.
  const present = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = ?");
  for (const table of Object.keys(PRIMARY_KEY) as ReplayTable[]) {
    if (!present.get(table)) continue;
    const order = PRIMARY_KEY[table].join(', ');
    for (const row of sqlite.prepare(`select * from ${table} order by ${order}`).iterate()) changes.push(insertChange(table, row as object));
  }
  if (!head && changes.length === 0) return;
  const entry = event('store.migrate', 'store', 'schema', changes, { cause: 'migrate', extra: { fromVersion: from, toVersion: to } });
  const prevHash = head?.hash ?? '';
  const digest = createHash('sha256').update(`accessctl-migrate\n${prevHash}`).digest();
  const id = `evt_${Array.from(digest.subarray(0, 16), (b) => BASE62[b % 62]).join('')}`;
  const stored = {
    seq: (head?.seq ?? 0) + 1,
    id,
    at: head?.at ?? 0,
    actor: 'accessctl',
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: canonicalJson(entry.details),
  };
  const hash = storedEventHash(prevHash, stored);
  sqlite
    .prepare('insert into audit_events (seq, id, at, actor, action, target_type, target_id, details, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(stored.seq, stored.id, stored.at, stored.actor, stored.action, stored.targetType, stored.targetId, stored.details, hash);
}
