import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

/**
 * `db check` compares the tables one at a time, each streamed beside the replayed log: the
 * differences it names come out as they always have, table by table (users before memberships,
 * settings after the tables), and within a table the log's rows in the order the log made them,
 * then the rows only the store holds.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const replayDetails = async () => {
  const r = await h.run(['-f', 'json', 'db', 'check']);
  expect(r.code).toBe(6);
  return (JSON.parse(r.stdout) as Array<{ check: string; detail: string }>).filter((c) => c.check === 'replay').map((c) => c.detail);
};

describe('db check: differences in a fixed order', () => {
  it('across tables and within one, whatever order they were planted in', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) ids.push(await h.id(['user', 'create', '-e', `u${n}@example.com`]));
    const grp = await h.id(['group', 'create', '-g', 'ops']);
    const other = await h.id(['group', 'create', '-g', 'other']);
    // One command per membership: the log makes them in this order, u3 first.
    for (const n of [3, 1, 4, 2]) await h.ok(['group', 'add-users', '-g', 'ops', '-u', `u${n}@example.com`]);
    await h.ok(['config', 'set', 'key.defaultExpirationDays', '90']);
    expect((await h.run(['db', 'check'])).code).toBe(0);

    const [a, b, c, d] = ids as [string, string, string, string];
    h.sql(`insert into group_users (group_id, user_id, expires_at, created_at) values ('${other}', '${b}', null, 1)`);
    h.sql(`update settings set value = '30' where key = 'key.defaultExpirationDays'`);
    h.sql(`delete from group_users where group_id = '${grp}' and user_id = '${d}'`);
    h.sql(`update group_users set expires_at = 222 where group_id = '${grp}' and user_id = '${a}'`);
    h.sql(`update users set role = 'ADMIN' where id = '${b}'`);
    h.sql(`update group_users set expires_at = 111 where group_id = '${grp}' and user_id = '${c}'`);

    expect(await replayDetails()).toEqual([
      '6 difference(s) between the store and its audit log (replayed from seq 1)',
      `users ${b} role: role is "ADMIN" in the store, "MEMBER" by the audit log`,
      `group_users ${grp} ${c} expires_at: expires_at is 111 in the store, null by the audit log`,
      `group_users ${grp} ${a} expires_at: expires_at is 222 in the store, null by the audit log`,
      `group_users ${grp} ${d}: in the audit log but missing from the store`,
      `group_users ${other} ${b}: in the store but not in the audit log`,
      'settings key.defaultExpirationDays value: value is "30" in the store, "90" by the audit log',
    ]);
  });
});
