import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash } from '../../src/domain/audit-chain.js';
import { canonicalJson } from '../../src/domain/canonical-json.js';
import { DIALECT, harness, HOUR, MINUTE, type Harness } from '../helpers/harness.js';
import { raw, rechain, type RawEvent } from '../helpers/raw-log.js';
import { schemaVersion1 } from '../helpers/old-schema.js';

/**
 * Tokens alive when a schema 1 store is upgraded: the upgrade's snapshot records them, and a
 * snapshot written before tokens were replayed state (none recorded) excuses only the expired.
 * Schema 1 exists only for SQLite files.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const LIVE = 'tok_000000000000LIVE';
const DEAD = 'tok_000000000000DEAD';

function writeVersion1Store(file: string, now: number) {
  const db = new Database(file);
  db.exec(schemaVersion1());
  db.pragma('application_id = 1094931532');
  db.pragma('user_version = 1');
  const t = now - 3 * HOUR;
  db.prepare("insert into services values ('svc_000000000000000S', 'ci', 'ci', '', 'ACTIVE', ?, ?)").run(t, t);
  db.prepare("insert into service_keys values ('key_000000000000000K', 'svc_000000000000000S', 'k', 'k', ?, 'ack_…abcd', ?, null, null, null)").run('a'.repeat(64), t);
  db.prepare("insert into exchange_tokens values (?, 'key_000000000000000K', ?, ?, ?)").run(LIVE, 'b'.repeat(64), now - 10 * MINUTE, now + 50 * MINUTE);
  db.prepare("insert into exchange_tokens values (?, 'key_000000000000000K', ?, ?, ?)").run(DEAD, 'c'.repeat(64), now - 2 * HOUR, now - HOUR);
  const event = { seq: 1, id: 'evt_0000000000000001', at: t, actor: 'old', action: 'service.create', targetType: 'service', targetId: 'svc_000000000000000S', details: { name: 'ci' } };
  db.prepare('insert into audit_events values (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(1, event.id, t, 'old', event.action, event.targetType, event.targetId, JSON.stringify(event.details), eventHash('', event));
  db.close();
}

async function dbCheck() {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  return { code: r.code, failures: (JSON.parse(r.stdout || '[]') as Array<{ ok: boolean; detail: string }>).filter((c) => !c.ok).map((c) => c.detail) };
}

describe.skipIf(DIALECT === 'postgres')('tokens across the upgrade to schema 2', () => {
  it('the snapshot records the live tokens; db check compares them', async () => {
    writeVersion1Store(h.db, h.now);
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    const [snapshot] = await h.json(['audit', 'list', '--action', 'store.migrate']);
    const tokens = (snapshot!.details as { changes: Array<{ table: string; row: { id: string } }> }).changes.filter((c) => c.table === 'exchange_tokens');
    expect(tokens.map((c) => c.row.id)).toEqual([DEAD, LIVE]);
    expect(JSON.stringify(snapshot)).not.toContain('b'.repeat(64));
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    await raw(h, (db) => db.run('update exchange_tokens set expires_at = expires_at + ? where id = ?', HOUR, LIVE));
    expect((await dbCheck()).failures).toContain(`exchange_tokens ${LIVE} expires_at: expires_at is ${h.now + 110 * MINUTE} in the store, ${h.now + 50 * MINUTE} by the audit log`);
  });

  it('a snapshot that recorded no tokens excuses an expired one made before it, never a valid one', async () => {
    writeVersion1Store(h.db, h.now);
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    // As the upgrade wrote it before tokens were replayed state: no token rows, re-chained.
    await raw(h, async (db) => {
      const [e] = await db.all<RawEvent>("select * from audit_events where action = 'store.migrate'");
      const d = JSON.parse(e!.details) as { changes: Array<{ table: string }> };
      await db.run('update audit_events set details = ? where seq = ?', canonicalJson({ ...d, changes: d.changes.filter((c) => c.table !== 'exchange_tokens') }), e!.seq);
      await rechain(db);
    });
    expect((await h.run(['audit', 'verify'])).code).toBe(0);
    expect(await dbCheck()).toEqual({
      code: 6,
      failures: ['1 difference(s) between the store and its audit log (replayed from seq 2 (the schema 2 snapshot; 1 format 1 events before it are checked by the chain only))', `exchange_tokens ${LIVE}: in the store but not in the audit log`],
    });
    // Once it has expired, it grants nothing, and the sweep that removes it replays cleanly.
    h.advance(HOUR);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
    await h.ok(['sweep']);
    expect(await dbCheck()).toEqual({ code: 0, failures: [] });
  });
});
