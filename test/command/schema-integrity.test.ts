import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_VERSION } from '../../src/store/sqlite/schema.js';
import { PG_LATEST_VERSION } from '../../src/store/postgres/schema.js';
import { openStore } from '../../src/store/open.js';
import { DIALECT, harness, type Harness } from '../helpers/harness.js';

// SPEC section 2, "The schema is exactly ours": every open compares the store's schema objects
// with the shipped definition; db check lists every difference. Both dialects.
const PG = DIALECT === 'postgres';
/** The schema version a new store of this dialect is at (PostgreSQL's gained the audit trigger in 3). */
const V = PG ? PG_LATEST_VERSION : LATEST_VERSION;

/** A trigger that silently swallows every revocation (and, on PostgreSQL, the function it needs). */
const SWALLOW_REVOKE = PG
  ? `create function keep_key() returns trigger language plpgsql as $$ begin return null; end $$;
     create trigger keep_key before update of revoked_at on service_keys for each row execute function keep_key()`
  : `create trigger keep_key before update of revoked_at on service_keys begin select raise(ignore); end`;

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

async function serviceWithKey(): Promise<string> {
  await h.ok(['service', 'create', '-n', 'ci']);
  await h.ok(['key', 'create', '-i', 'ci', '-n', 'deploy', '-e', '0']);
  return (await h.json<{ id: string }>(['key', 'list']))[0]!.id;
}

describe('a planted schema object is exit 6 naming it, on every command', () => {
  it('a trigger swallowing revocations: key revoke refuses instead of printing REVOKED; reads refuse too', async () => {
    const keyId = await serviceWithKey();
    h.sql(SWALLOW_REVOKE);
    const revoke = await h.run(['key', 'revoke', '-i', keyId]);
    expect(revoke.code).toBe(6);
    expect(revoke.stdout).toBe('');
    expect(revoke.stderr).toContain("not exactly accessctl's schema: ");
    expect(revoke.stderr).toContain(`trigger ${PG ? 'service_keys.' : ''}keep_key (on service_keys) is not part of schema ${V}`);
    if (PG) expect(revoke.stderr).toContain(`function keep_key() is not part of schema ${V}`);
    const list = await h.run(['user', 'list']);
    expect(list.code).toBe(6);
    expect(list.stderr).toContain(`trigger ${PG ? 'service_keys.' : ''}keep_key`);
    expect(list.stderr).toContain('accessctl db check lists every difference');
    h.sql(PG ? 'drop trigger keep_key on service_keys; drop function keep_key()' : 'drop trigger keep_key');
    expect((await h.json<{ status: string }>(['key', 'revoke', '-i', keyId]))[0]!.status).toBe('REVOKED');
  });

  it('an extra view, an extra table, a dropped index and an extra column are each named; db check lists them all', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    h.sql('create view everyone as select * from users');
    h.sql('create table shadow (x integer)');
    h.sql('drop index groups_expires_at');
    h.sql('alter table users add column zz_extra text');
    const r = await h.run(['user', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/and \d+ more/);
    const check = await h.run(['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    const failed = (JSON.parse(check.stdout) as Array<{ check: string; ok: boolean; detail: string }>).filter((c) => c.check === 'schemaObjects' && !c.ok).map((c) => c.detail);
    expect(failed.some((d) => new RegExp(`view everyone is not part of schema ${V}`).test(d))).toBe(true);
    expect(failed.some((d) => new RegExp(`shadow.* is not part of schema ${V}`).test(d))).toBe(true);
    expect(failed.some((d) => new RegExp(`index groups_expires_at \\(on groups\\) is missing \\(schema ${V} defines it\\)`).test(d))).toBe(true);
    expect(failed.some((d) => (PG ? new RegExp(`column users\\.zz_extra \\(on users\\) is not part of schema ${V}`) : new RegExp(`table users differs from schema ${V}`)).test(d))).toBe(true);
    expect(check.stderr).toContain('schemaObjects');
  });

  it('an untouched store passes, and db check says so with the digest', async () => {
    await serviceWithKey();
    const check = await h.json<{ check: string; ok: boolean; detail: string }>(['db', 'check']);
    const objects = check.filter((c) => c.check === 'schemaObjects');
    expect(objects).toHaveLength(1);
    expect(objects[0]!.ok).toBe(true);
    expect(objects[0]!.detail).toMatch(new RegExp(`exactly as schema ${V} defines them \\(sha256 [0-9a-f]{16}\\)`));
  });

  it.runIf(PG)('PostgreSQL: a rule, a row policy and row security are named', async () => {
    await serviceWithKey();
    h.sql('create rule keep_rows as on delete to service_keys do instead nothing');
    h.sql('alter table users enable row level security');
    h.sql('create policy hide_admins on users using (role <> $$ADMIN$$)');
    const check = await h.run(['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    const failed = (JSON.parse(check.stdout) as Array<{ check: string; ok: boolean; detail: string }>).filter((c) => !c.ok).map((c) => c.detail);
    expect(failed).toContain(`rule service_keys.keep_rows (on service_keys) is not part of schema ${V}`);
    expect(failed).toContain(`policy users.hide_admins (on users) is not part of schema ${V}`);
    expect(failed).toContain(`relation users differs from schema ${V}`);
    const r = await h.run(['access', 'list', '--all']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('rule service_keys.keep_rows');
  });

  it.runIf(!PG)('SQLite: a trigger named to look internal ("sqliteX…") is caught; sqlite_stat1 from ANALYZE is not a difference', async () => {
    await serviceWithKey();
    h.sql('analyze');
    expect((await h.run(['user', 'list'])).code).toBe(0);
    h.sql('create trigger sqliteXkeep before delete on users begin select raise(ignore); end');
    const r = await h.run(['user', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('trigger sqliteXkeep (on users) is not part of schema 4');
  });

  it.runIf(!PG)('SQLite: an edited user_version is refused, never migrated twice', async () => {
    await serviceWithKey();
    h.sql('pragma user_version = 1');
    const r = await h.run(['user', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/says schema 1, but its audit log holds format 2 events \(seq \d+\): the schema version was edited/);
    expect((await h.run(['user', 'create', '-e', 'x@example.com'])).code).toBe(6);
    h.sql('pragma user_version = 0');
    const zero = await h.run(['user', 'list']);
    expect(zero.code).toBe(6);
    expect(zero.stderr).toMatch(/is not part of schema 0 \(and \d+ more\)/);
  });

  it.runIf(!PG)('SQLite: a trigger planted while a command holds the store open is caught when its write begins', async () => {
    const keyId = await serviceWithKey();
    const store = openStore({ path: h.db, managedDir: false, access: 'write' });
    try {
      h.sql(SWALLOW_REVOKE);
      const write = store.db.transaction().execute(async (trx) => trx.updateTable('service_keys').set({ revoked_at: 1 }).where('id', '=', keyId).execute());
      await expect(write).rejects.toThrow(/trigger keep_key \(on service_keys\) is not part of schema 4/);
    } finally {
      await store.close();
    }
    // Nothing was written: once the trigger is gone, the key is still ACTIVE.
    h.sql('drop trigger keep_key');
    expect((await h.json<{ status: string }>(['key', 'list']))[0]!.status).toBe('ACTIVE');
  });
});
