import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Harness } from './harness.js';

/** SQL behind accessctl's back, on either dialect: `?` placeholders, rows as the driver gives them. */
export interface RawDb {
  run(sql: string, ...params: unknown[]): Promise<void>;
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

export async function raw(h: Harness, fn: (db: RawDb) => Promise<void>): Promise<void> {
  if (h.dialect === 'sqlite') {
    const db = new Database(h.db);
    try {
      await fn({ run: async (sql, ...p) => void db.prepare(sql).run(...p), all: async <T>(sql: string, ...p: unknown[]) => db.prepare(sql).all(...p) as T[] });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: h.db });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  // bigint columns (seq, at, times) come back as numbers, as they do from SQLite.
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) };
  const rows = async (sql: string, p: unknown[]): Promise<unknown[]> => (await client.query({ text: numbered(sql), values: p, types } as pg.QueryConfig)).rows;
  try {
    await fn({ run: async (sql, ...p) => void (await rows(sql, p)), all: async <T>(sql: string, ...p: unknown[]) => (await rows(sql, p)) as T[] });
  } finally {
    await client.end();
  }
}

export interface RawEvent {
  seq: number;
  at: number;
  action: string;
  actor: string;
  id: string;
  target_id: string;
  target_type: string;
  details: string;
  hash: string;
}

/**
 * What a forger with write access does after editing events: recompute every hash so the chain
 * verifies again (the canonical event text of docs/audit-events.md, details spliced in as stored).
 */
export async function rechain(db: RawDb): Promise<void> {
  const rows = await db.all<RawEvent>('select * from audit_events order by seq');
  let prev = '';
  for (const e of rows) {
    const text = `{"action":${JSON.stringify(e.action)},"actor":${JSON.stringify(e.actor)},"at":${e.at},"details":${e.details},"id":${JSON.stringify(e.id)},"seq":${e.seq},"targetId":${JSON.stringify(e.target_id)},"targetType":${JSON.stringify(e.target_type)}}`;
    prev = createHash('sha256').update(prev + text).digest('hex');
    await db.run('update audit_events set hash = ? where seq = ?', prev, e.seq);
  }
}
