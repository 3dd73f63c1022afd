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

/**
 * What `make` yields, read inside one read snapshot (inReadSnapshot) that stays open while the
 * consumer takes the items: a command that streams its answer from several queries still
 * answers from one moment of the store. At most `high` items wait between the two sides; an
 * error on either side ends both, and a consumer that stops early (a closed pipe) ends the
 * snapshot.
 */
export async function* streamInReadSnapshot<T>(store: Store, make: (db: Kysely<Database>) => AsyncIterable<T>, high = 256): AsyncGenerator<T> {
  const queue: T[] = [];
  let head = 0;
  let wake: (() => void) | null = null;
  let resume: (() => void) | null = null;
  let finished = false;
  let failed = false;
  let failure: unknown;
  let cancelled = false;
  const call = (f: (() => void) | null) => f?.();
  const run = inReadSnapshot(store, async (db) => {
    for await (const item of make(db)) {
      if (cancelled) return;
      queue.push(item);
      call(wake);
      wake = null;
      if (queue.length - head >= high) await new Promise<void>((r) => (resume = r));
      if (cancelled) return;
    }
  }).then(
    () => {
      finished = true;
      call(wake);
    },
    (err: unknown) => {
      failed = true;
      failure = err;
      finished = true;
      call(wake);
    },
  );
  try {
    for (;;) {
      if (head < queue.length) {
        const item = queue[head++]!;
        // Taken items leave the array: a consumer that never quite catches up must not keep them all.
        if (head === queue.length || head >= high) {
          queue.splice(0, head);
          head = 0;
        }
        if (queue.length - head < high / 2) {
          call(resume);
          resume = null;
        }
        yield item;
        continue;
      }
      if (finished) {
        if (failed) throw failure;
        return;
      }
      call(resume);
      resume = null;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    if (!finished) {
      cancelled = true;
      call(resume);
      resume = null;
      await run;
    }
  }
}
