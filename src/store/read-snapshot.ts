import { sql, type Kysely } from 'kysely';
import type { Store } from './store.js';
import type { Database } from './tables.js';

/**
 * Runs `work` on one connection inside one read transaction, so everything it reads is the same
 * moment of the store: a writer that commits between two of its queries is not seen at all.
 * `db check` compares the audit log with ten tables; read in separate snapshots, a write landing
 * between them looked like a row "in the store but not in the audit log".
 *
 * SQLite: a deferred BEGIN on the store's one connection; the snapshot is fixed by the first read
 * and no write lock is taken, so writers carry on. PostgreSQL: REPEATABLE READ, READ ONLY on one
 * pooled connection, without the writers' advisory lock.
 */
export async function inReadSnapshot<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    await sql.raw(store.dialect === 'postgres' ? 'start transaction isolation level repeatable read, read only' : 'begin deferred').execute(conn);
    let result: T;
    try {
      result = await work(conn);
    } catch (err) {
      await sql.raw('rollback').execute(conn).catch(() => {});
      throw err;
    }
    await sql.raw('commit').execute(conn);
    return result;
  });
}
