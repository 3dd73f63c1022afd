import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../src/cli/commands/sweep/run.js';
import type { Ctx } from '../../src/cli/context.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { fixedClock } from '../../src/domain/time.js';
import { serviceCandidates, userCandidates } from '../../src/store/access.js';
import { ImmediateSqliteDialect } from '../../src/store/sqlite/dialect.js';
import type { Database } from '../../src/store/tables.js';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
let sqlite: BetterSqlite3.Database;
const queries: Array<{ sql: string; parameters: readonly unknown[] }> = [];
let db: Kysely<Database>;

beforeAll(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
  await h.ok(['service', 'create', '-n', 'ci', '-r', 'db']);
  await h.ok(['group', 'create', '-g', 'g', '-u', 'ada@example.com', '-r', 'db', '--services', 'ci', '--ttl', '1h']);
  sqlite = new BetterSqlite3(h.db);
  db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }), log: (e) => void queries.push({ sql: e.query.sql, parameters: e.query.parameters }) });
});
afterAll(() => {
  sqlite.close();
  h.cleanup();
});

// Any full scan of a table or a whole index (aliases included): every table here can be large.
const BIG_TABLES = /\bSCAN\b/;

/** Every plan step either searches an index or scans a table the query must read whole. */
function plan(q: { sql: string; parameters: readonly unknown[] }): string[] {
  return (sqlite.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{ detail: string }>).map((r) => r.detail);
}

describe('EXPLAIN QUERY PLAN: indexes serve the access rule and sweep', () => {
  it('access candidates by user, by service, by resource', async () => {
    queries.length = 0;
    const [user] = await db.selectFrom('users').select('id').execute();
    const [resource] = await db.selectFrom('resources').select('id').execute();
    const [service] = await db.selectFrom('services').select('id').execute();
    queries.length = 0;
    await userCandidates(db, { subjectId: user!.id, resourceId: resource!.id });
    await userCandidates(db, { subjectId: user!.id });
    await userCandidates(db, { resourceId: resource!.id });
    await serviceCandidates(db, { subjectId: service!.id, resourceId: resource!.id });
    await serviceCandidates(db, { subjectId: service!.id });
    await serviceCandidates(db, { resourceId: resource!.id });
    expect(queries.length).toBe(9);
    for (const q of queries) {
      const steps = plan(q);
      expect(steps.join(' | '), q.sql).not.toMatch(BIG_TABLES);
      expect(steps.some((s) => /USING (COVERING )?INDEX|USING PRIMARY KEY|USING INTEGER PRIMARY KEY/.test(s)), `${q.sql}\n${steps.join('\n')}`).toBe(true);
    }
  });

  it('every query of sweep, including --keys', async () => {
    queries.length = 0;
    const ctx = {
      store: () => ({ db, sqlite, path: h.db, close: async () => {} }),
      clock: fixedClock(h.now + 7_200_000),
      ids: sequentialIds(),
      globals: () => ({ actor: 'plan' }),
    } as unknown as Ctx;
    await runSweep({ dryRun: true, keys: true }, ctx);
    expect(queries.length).toBeGreaterThanOrEqual(7);
    for (const q of queries) {
      const steps = plan(q);
      expect(steps.join(' | '), `${q.sql}\n${steps.join('\n')}`).not.toMatch(BIG_TABLES);
    }
  });
});

it('the check sees a full scan when there is one', () => {
  expect(plan({ sql: 'select * from group_users gu where gu.created_at > ?', parameters: [0] }).join(' | ')).toMatch(BIG_TABLES);
});
