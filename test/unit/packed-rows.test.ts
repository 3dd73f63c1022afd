import { describe, expect, it } from 'vitest';
import { RowPacker } from '../../src/domain/packed-rows.js';
import { newReplay, replayEvent, replayedRow } from '../../src/domain/replay.js';
import { linkKey } from '../../src/domain/state.js';

describe('replayed rows held packed (db check)', () => {
  it('unpack gives back the row, its columns in their order and their values exactly', () => {
    const p = new RowPacker();
    const rows: Array<[Parameters<RowPacker['pack']>[0], string, Record<string, unknown>]> = [
      ['group_users', linkKey('grp_1', 'usr_1'), { created_at: 1795388400000, expires_at: null, group_id: 'grp_1', starts_at: null, user_id: 'usr_1' }],
      ['users', 'usr_1', { id: 'usr_1', email: 'a"b\\c@x', first_name: 'Zoë', login: null, created_at: -0.5, updated_at: 1 }],
      ['review_items', linkKey('rev_1', '3'), { review_id: 'rev_1', item: 3, decision: null }],
      // A key column the key does not give back as it is (a number where ids are text) is kept.
      ['groups', '5', { id: 5, name: 'g', is_active: true }],
      ['group_users', linkKey('grp\u0000x', 'usr_1'), { group_id: 'grp\u0000x', user_id: 'usr_1', expires_at: 9 }],
    ];
    for (const [table, key, row] of rows) {
      const held = p.pack(table, key, row);
      expect(typeof held).toBe('string');
      const back = p.unpack(table, key, held);
      expect(back).toEqual(row);
      expect(Object.keys(back)).toEqual(Object.keys(row));
    }
  });

  it('a value JSON would not give back exactly stays an object', () => {
    const p = new RowPacker();
    for (const row of [{ id: 'x', n: Number.NaN }, { id: 'x', n: Number.POSITIVE_INFINITY }, { id: 'x', n: undefined }, { id: 'x', n: { a: 1 } }]) {
      const held = p.pack('users', 'x', row);
      expect(held).toBe(row);
      expect(p.unpack('users', 'x', held)).toBe(row);
    }
  });

  it('rows that pack alike share one string', () => {
    const p = new RowPacker();
    const a = p.pack('group_users', linkKey('grp_1', 'usr_1'), { created_at: 1, expires_at: null, group_id: 'grp_1', starts_at: null, user_id: 'usr_1' });
    const b = p.pack('group_users', linkKey('grp_2', 'usr_2'), { created_at: 1, expires_at: null, group_id: 'grp_2', starts_at: null, user_id: 'usr_2' });
    expect(a).toBe(b);
  });

  it('a packed replay rebuilds the same rows, in the same order, with the same anomalies', () => {
    const events: Array<Record<string, unknown>> = [
      { v: 2, changes: [{ op: 'insert', table: 'users', row: { id: 'usr_1', email: 'a@x', created_at: 1 } }, { op: 'insert', table: 'users', row: { id: 'usr_2', email: 'b@x', created_at: 1 } }] },
      { v: 2, changes: [{ op: 'insert', table: 'group_users', row: { created_at: 2, expires_at: null, group_id: 'grp_1', user_id: 'usr_1' } }] },
      { v: 2, changes: [{ op: 'update', table: 'users', key: { id: 'usr_1' }, from: { email: 'wrong@x' }, to: { email: 'c@x', login: 'c' } }] },
      { v: 2, changes: [{ op: 'update', table: 'group_users', key: { group_id: 'grp_1', user_id: 'usr_1' }, from: { expires_at: null }, to: { expires_at: 7 } }] },
      { v: 2, changes: [{ op: 'delete', table: 'users', row: { id: 'usr_2' } }, { op: 'insert', table: 'users', row: { id: 'usr_1', email: 'd@x' } }] },
      { v: 2, changes: [{ op: 'update', table: 'users', key: { id: 'usr_9' }, from: {}, to: { email: 'e@x' } }] },
    ];
    const plain = newReplay();
    const packed = newReplay({ packed: true });
    events.forEach((details, i) => {
      for (const r of [plain, packed]) replayEvent(r, { seq: i + 1, at: 1, actor: 'a', action: 'x' }, details);
    });
    expect(packed.anomalies).toEqual(plain.anomalies);
    for (const [table, field] of [['users', 'users'], ['group_users', 'groupUsers']] as const) {
      const a = [...plain.state[field].entries()];
      const b = [...(packed.state[field] as Map<string, unknown>).entries()].map(([k, v]) => [k, replayedRow(packed, table, k, v)]);
      expect(b).toEqual(a);
      expect(b.map(([, row]) => Object.keys(row as object))).toEqual(a.map(([, row]) => Object.keys(row)));
    }
  });
});
