import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeKey } from '../../src/cli/commands/key/run.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { ImmediateSqliteDialect } from '../../src/store/sqlite/dialect.js';
import { getKey } from '../../src/store/keys.js';
import { mutate, type MutationMeta } from '../../src/store/mutate.js';
import type { Database } from '../../src/store/tables.js';
import { harness, type Harness } from '../helpers/harness.js';

// The read-back rule and the delivery step of `mutate`, on a store opened directly (no open-time
// schema check in the way), so that each holds on its own against a planted trigger.

let h: Harness;
let sqlite: BetterSqlite3.Database;
let db: Kysely<Database>;
let keyId: string;
const meta = (): MutationMeta => ({ now: h.now, actor: 'tester', ids: sequentialIds() });

beforeEach(async () => {
  h = harness();
  await h.ok(['service', 'create', '-n', 'ci']);
  await h.ok(['key', 'create', '-i', 'ci', '-n', 'deploy']);
  keyId = (await h.ok(['-q', 'key', 'list'])).trim();
  sqlite = new BetterSqlite3(h.db);
  sqlite.pragma('foreign_keys = ON');
  db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
});
afterEach(async () => {
  await db.destroy();
  h.cleanup();
});

const events = () => (sqlite.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
const revokedAt = () => (sqlite.prepare('SELECT revoked_at FROM service_keys WHERE id = ?').get(keyId) as { revoked_at: number | null }).revoked_at;
const revoke = () => mutate(db, meta(), async (tx) => revokeKey(tx, await getKey(tx.db, keyId), 'revoke'));

describe('a write the store did not take fails the mutation', () => {
  it('passes through when nothing interferes', async () => {
    const before = events();
    const row = await revoke();
    expect(row.revoked_at).toBe(h.now);
    expect(revokedAt()).toBe(h.now);
    expect(events()).toBe(before + 1);
  });

  const attacks: Array<[string, string, RegExp]> = [
    ['a BEFORE UPDATE trigger that swallows the revocation', 'CREATE TRIGGER t BEFORE UPDATE OF revoked_at ON service_keys BEGIN SELECT RAISE(IGNORE); END', /service_keys key_\S+: revoked_at holds null/],
    [
      'an AFTER UPDATE trigger that undoes it',
      'CREATE TRIGGER t AFTER UPDATE OF revoked_at ON service_keys BEGIN UPDATE service_keys SET revoked_at = NULL WHERE id = new.id; END',
      /revoked_at holds null/,
    ],
    [
      'a BEFORE INSERT trigger that swallows its audit event',
      "CREATE TRIGGER t BEFORE INSERT ON audit_events WHEN new.action = 'key.revoke' BEGIN SELECT RAISE(IGNORE); END",
      /1 row\(s\) inserted into audit_events, 0 stored/,
    ],
    [
      'an AFTER INSERT trigger that deletes its audit event',
      "CREATE TRIGGER t AFTER INSERT ON audit_events WHEN new.action = 'key.revoke' BEGIN DELETE FROM audit_events WHERE seq = new.seq; END",
      /1 audit event\(s\) written after seq \d+, 0 stored/,
    ],
    [
      'an AFTER INSERT trigger that appends an event of its own',
      "CREATE TRIGGER t AFTER INSERT ON audit_events WHEN new.action = 'key.revoke' BEGIN INSERT INTO audit_events (seq, id, at, actor, action, target_type, target_id, details, hash) VALUES (new.seq + 1, 'evt_planted0000000000', new.at, 'x', 'x', 'x', 'x', '{}', 'x'); END",
      /1 audit event\(s\) written after seq \d+, 2 stored/,
    ],
  ];
  for (const [name, trigger, message] of attacks) {
    it(`${name}: exit 6 naming what differs, the key still ACTIVE, no event`, async () => {
      sqlite.exec(trigger);
      const before = events();
      const err = await revoke().catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 6 });
      expect((err as Error).message).toMatch(/^the store did not take the write: /);
      expect((err as Error).message).toMatch(message);
      expect(revokedAt()).toBeNull();
      expect(events()).toBe(before);
    });
  }

  it('a row that is still there after its delete fails the delete', async () => {
    sqlite.exec('CREATE TRIGGER t BEFORE DELETE ON service_keys BEGIN SELECT RAISE(IGNORE); END');
    const err = await mutate(db, meta(), async (tx) => {
      await tx.db.deleteFrom('service_keys').where('id', '=', keyId).execute();
      tx.expect('service_keys', { id: keyId }, null);
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/service_keys key_\S+ is still there after it was deleted/);
  });
});

describe('deliver: the last step before COMMIT', () => {
  it('a delivery that throws rolls everything back', async () => {
    const before = events();
    const err = await mutate(db, meta(), async (tx) => revokeKey(tx, await getKey(tx.db, keyId), 'revoke'), {
      deliver: () => {
        throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      },
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EPIPE');
    expect(revokedAt()).toBeNull();
    expect(events()).toBe(before);
  });

  it('a COMMIT that fails after the delivery says the printed token is void, and nothing is stored', async () => {
    const printed: string[] = [];
    const before = events();
    const err = await mutate(
      db,
      meta(),
      async (tx) => {
        const k = await revokeKey(tx, await getKey(tx.db, keyId), 'revoke');
        // A deferred foreign key makes COMMIT itself fail, after every statement succeeded.
        await sql`PRAGMA defer_foreign_keys = ON`.execute(tx.db);
        await tx.db.insertInto('group_users').values({ group_id: 'grp_missing000000000', user_id: 'usr_missing000000000', expires_at: null, created_at: tx.now }).execute();
        return k;
      },
      { deliver: () => void printed.push('ack_…') },
    ).catch((e: unknown) => e);
    expect(printed).toHaveLength(1);
    expect(err).toMatchObject({ code: 'NOT_COMMITTED', exitCode: 1 });
    expect((err as Error).message).toMatch(/^the change could not be committed \(.*FOREIGN KEY.*\): the token printed above is void, nothing was changed$/);
    expect(revokedAt()).toBeNull();
    expect(events()).toBe(before);
  });
});
