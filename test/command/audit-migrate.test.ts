import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash } from '../../src/domain/audit-chain.js';
import { harness, type Harness } from '../helpers/harness.js';
import { schemaVersion1 } from '../helpers/old-schema.js';


let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const T = Date.parse('2026-11-01T10:00:00.000Z');

/** A store exactly as schema version 1 wrote it: format 1 events (JSON.stringify details, re-parsed hashing). */
function writeVersion1Store(file: string) {
  const db = new Database(file);
  db.exec(schemaVersion1());
  db.pragma('application_id = 1094931532');
  db.pragma('user_version = 1');
  db.prepare("insert into users values ('usr_000000000000000A', 'ada@example.com', 'ada@example.com', 'Ada', '', 'MEMBER', 'ACTIVE', 'MANUAL', ?, ?)").run(T, T);
  db.prepare("insert into resources values ('res_000000000000000B', 'prod', 'prod', 'prod.internal', null, 'ALLOW_ALL', 'ALLOW_ALL', 1, 1, ?, ?)").run(T, T);
  db.prepare("insert into groups values ('grp_000000000000000C', 'dba', 'dba', 'MANUAL', 1, null, ?, ?)").run(T, T);
  db.prepare("insert into group_users values ('grp_000000000000000C', 'usr_000000000000000A', null, ?)").run(T);
  db.prepare("insert into group_resources values ('grp_000000000000000C', 'res_000000000000000B', null, ?)").run(T);
  const events = [
    { action: 'user.create', targetType: 'user', targetId: 'usr_000000000000000A', details: { email: 'ada@example.com', firstName: 'Ada', lastName: '', role: 'MEMBER' } },
    { action: 'resource.create', targetType: 'resource', targetId: 'res_000000000000000B', details: { name: 'prod', address: 'prod.internal' } },
    { action: 'group.create', targetType: 'group', targetId: 'grp_000000000000000C', details: { name: 'dba', expiresAt: null, users: ['usr_000000000000000A'], resources: ['res_000000000000000B'] } },
  ];
  let prev = '';
  events.forEach((e, i) => {
    const event = { seq: i + 1, id: `evt_00000000000000${String(i).padStart(2, '0')}`, at: T, actor: 'old', ...e };
    prev = eventHash(prev, event);
    db.prepare('insert into audit_events values (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(event.seq, event.id, T, 'old', e.action, e.targetType, e.targetId, JSON.stringify(e.details), prev);
  });
  db.close();
}

describe('a schema 1 store moves to schema 2', () => {
  it('keeps its old events verifiable, snapshots the live rows, and replays from the snapshot', async () => {
    writeVersion1Store(h.db);
    // The fixture's first write (db init --allow-clock-override) migrates it; db migrate finds it done.
    expect(await h.ok(['db', 'migrate'])).toContain('already at schema 4');
    const check = await h.json(['db', 'check']);
    expect(check).toEqual([
      { check: 'integrity', ok: true, detail: 'ok' },
      { check: 'foreignKeys', ok: true, detail: 'ok' },
      { check: 'schema', ok: true, detail: 'version 4' },
      { check: 'schemaObjects', ok: true, detail: expect.stringMatching(/^33 objects exactly as schema 4 defines them/) },
      { check: 'auditChain', ok: true, detail: '5 events verified' },
      { check: 'replay', ok: true, detail: 'state matches the audit log (replayed from seq 4 (the schema 2 snapshot; 3 format 1 events before it are checked by the chain only))' },
    ]);
    const db = new Database(h.db, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    const snapshot = db.prepare('select * from audit_events where seq = 4').get() as Record<string, string | number>;
    db.close();
    expect(snapshot).toMatchObject({ action: 'store.migrate', actor: 'accessctl', at: T, target_type: 'store', target_id: 'schema' });
    expect(JSON.parse(String(snapshot.details)).changes.map((c: { table: string }) => c.table)).toEqual(['users', 'resources', 'groups', 'group_users', 'group_resources']);
    // Life goes on in format 2, and the whole chain still verifies.
    await h.ok(['group', 'add-users', '-g', 'dba', '-u', 'ada@example.com', '--ttl', '1h']);
    expect((await h.json(['audit', 'verify']))[0]).toMatchObject({ ok: true, events: 6 });
    expect((await h.run(['db', 'check'])).code).toBe(0);
    // Old events are still checked byte for byte: a duplicated key in one is a break.
    const raw = new Database(h.db);
    raw.prepare(`update audit_events set details = '{"name":"x","name":"prod","address":"prod.internal"}' where seq = 2`).run();
    raw.close();
    const r = await h.run(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('audit chain broken at seq 2: details are not the canonical text that was hashed');
  });

  it('a format 1 event after format 2 events is a break', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    const raw = new Database(h.db);
    // seq 1 is the fixture's config.set, seq 2 the user.create.
    const head = raw.prepare('select hash from audit_events where seq = 2').get() as { hash: string };
    const forged = { seq: 3, id: 'evt_0000000000000099', at: T, actor: 'x', action: 'user.create', targetType: 'user', targetId: 'usr_1', details: { email: 'x' } };
    raw.prepare('insert into audit_events values (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(3, forged.id, T, 'x', 'user.create', 'user', 'usr_1', JSON.stringify(forged.details), eventHash(head.hash, forged));
    raw.close();
    const r = await h.run(['audit', 'verify']);
    expect(r.stderr).toContain('seq 3: a format 1 event after format 2 events');
  });
});
