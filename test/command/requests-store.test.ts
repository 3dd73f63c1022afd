import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { event, insertChange } from '../../src/domain/audit-events.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { openStore } from '../../src/store/open.js';
import { mutate } from '../../src/store/mutate.js';
import type { RequestsTable } from '../../src/store/tables.js';
import { harness, HOUR, type Harness } from '../helpers/harness.js';
import { raw } from '../helpers/raw-log.js';

/**
 * Schema 4 (PostgreSQL 5) as db check sees it: the requests table is replayed and compared like
 * every other, and so are a user's login, a group's request policy and a membership's start.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

async function dbCheck() {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  return { code: r.code, replay: (JSON.parse(r.stdout) as Array<{ check: string; detail: string }>).filter((c) => c.check === 'replay').map((c) => c.detail) };
}

async function seed() {
  const ada = await h.id(['user', 'create', '-e', 'ada@example.com']);
  const grp = await h.id(['group', 'create', '-g', 'dba', '-u', 'ada@example.com']);
  return { ada, grp };
}

function requestRow(id: string, ada: string, grp: string): RequestsTable {
  return {
    id,
    group_id: grp,
    group_name: 'dba',
    user_id: ada,
    user_email: 'ada@example.com',
    requested_by: 'ada',
    duration_ms: HOUR,
    reason: 'incident 42',
    ticket: '',
    break_glass: 0,
    state: 'PENDING',
    start_at: null,
    pending_until: h.now + 24 * HOUR,
    approvals_needed: 1,
    approvals: '[]',
    starts_at: null,
    expires_at: null,
    decided_by: null,
    decided_at: null,
    decision_reason: null,
    reviewed_by: null,
    reviewed_at: null,
    review_reason: null,
    created_at: h.now,
    updated_at: h.now,
  };
}

describe('db check: requests and the columns of schema 4', () => {
  it('a fresh store holds the new columns as NULL, and its log replays to them', async () => {
    const { ada, grp } = await seed();
    let rows: unknown[] = [];
    await raw(h, async (db) => {
      rows = [
        ...(await db.all('select login from users where id = ?', ada)),
        ...(await db.all('select request_policy from groups where id = ?', grp)),
        ...(await db.all('select starts_at from group_users where group_id = ?', grp)),
      ];
    });
    expect(rows).toEqual([{ login: null }, { request_policy: null }, { starts_at: null }]);
    expect(await dbCheck()).toEqual({ code: 0, replay: ['state matches the audit log (replayed from seq 1)'] });
  });

  it('a requests row planted with no event is named (exit 6)', async () => {
    const { ada, grp } = await seed();
    const row = requestRow('req_000000000000PLNT', ada, grp);
    const cols = Object.keys(row);
    await raw(h, (db) => db.run(`insert into requests (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`, ...Object.values(row)));
    expect(await dbCheck()).toEqual({
      code: 6,
      replay: ['1 difference(s) between the store and its audit log (replayed from seq 1)', 'requests req_000000000000PLNT: in the store but not in the audit log'],
    });
  });

  it('an edited login, request policy and membership start are named with their field', async () => {
    const { ada, grp } = await seed();
    await raw(h, async (db) => {
      await db.run("update users set login = 'ada' where id = ?", ada);
      await db.run("update groups set request_policy = '{}' where id = ?", grp);
      await db.run('update group_users set starts_at = 5 where group_id = ?', grp);
    });
    const { code, replay } = await dbCheck();
    expect(code).toBe(6);
    expect(replay).toEqual([
      '3 difference(s) between the store and its audit log (replayed from seq 1)',
      `users ${ada} login: login is "ada" in the store, null by the audit log`,
      `groups ${grp} request_policy: request_policy is "{}" in the store, null by the audit log`,
      `group_users ${grp} ${ada} starts_at: starts_at is 5 in the store, null by the audit log`,
    ]);
  });

  it('a request written with its event replays clean; edited by hand afterwards, it is named', async () => {
    const { ada, grp } = await seed();
    const row = requestRow('req_00000000000000R1', ada, grp);
    const store = openStore(h.dialect === 'postgres' ? { path: 'store', url: h.db, managedDir: false, access: 'write' } : { path: h.db, managedDir: false, access: 'write' });
    try {
      await store.connect?.();
      await mutate(store.db, { now: h.now, actor: 'ada', ids: sequentialIds() }, async (tx) => {
        await tx.db.insertInto('requests').values(row).execute();
        tx.audit(event('request.create', 'request', row.id, [insertChange('requests', row)]));
      });
    } finally {
      await store.close();
    }
    expect((await dbCheck()).code).toBe(0);
    await raw(h, (db) => db.run("update requests set state = 'APPROVED', approvals = '[{}]' where id = ?", row.id));
    expect(await dbCheck()).toEqual({
      code: 6,
      replay: [
        '2 difference(s) between the store and its audit log (replayed from seq 1)',
        `requests ${row.id} approvals: approvals is "[{}]" in the store, "[]" by the audit log`,
        `requests ${row.id} state: state is "APPROVED" in the store, "PENDING" by the audit log`,
      ],
    });
  });
});
