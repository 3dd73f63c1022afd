import { describe, expect, it } from 'vitest';
import {
  keyCreated,
  keyDeleted,
  keyUpdated,
  linkPut,
  linkRemoved,
  objectCreated,
  objectDeleted,
  objectUpdated,
  settingSet,
  tokenExchanged,
  tokenFingerprint,
} from '../../src/domain/audit-events.js';
import { diffStates, newReplay, replayEvent } from '../../src/domain/replay.js';
import { emptyState, linkKey } from '../../src/domain/state.js';
import type { ServiceKeysTable, UsersTable } from '../../src/store/tables.js';

const user: UsersTable = { id: 'usr_1', email: 'a@x', email_key: 'a@x', first_name: '', last_name: '', role: 'MEMBER', state: 'ACTIVE', type: 'MANUAL', login: null, created_at: 1, updated_at: 1 };
const key: ServiceKeysTable = { id: 'key_1', service_id: 'svc_1', name: 'k', name_key: 'k', token_hash: 'ab'.repeat(32), hint: 'ack_…abcd', created_at: 1, expires_at: 9, revoked_at: null, last_used_at: 5 };
const gu = { group_id: 'grp_1', user_id: 'usr_1', expires_at: null, created_at: 1 };

describe('audit event shapes (docs/audit-events.md)', () => {
  it('create: the whole row, plus links made with it', () => {
    expect(objectCreated('group', { id: 'grp_1', name: 'g', name_key: 'g', type: 'MANUAL', is_active: 1, expires_at: 7, created_at: 1, updated_at: 1, extra: 'dropped' }, [{ table: 'group_users', row: gu }])).toEqual({
      action: 'group.create',
      targetType: 'group',
      targetId: 'grp_1',
      details: {
        v: 2,
        changes: [
          { op: 'insert', table: 'groups', row: { id: 'grp_1', name: 'g', name_key: 'g', type: 'MANUAL', is_active: 1, expires_at: 7, created_at: 1, updated_at: 1 } },
          { op: 'insert', table: 'group_users', row: gu },
        ],
      },
    });
  });

  it('update: only the changed columns, old and new; enable/disable name their action', () => {
    expect(objectUpdated('user', user, { ...user, state: 'DISABLED', updated_at: 2 }, { action: 'user.disable' })).toEqual({
      action: 'user.disable',
      targetType: 'user',
      targetId: 'usr_1',
      details: { v: 2, changes: [{ op: 'update', table: 'users', key: { id: 'usr_1' }, from: { state: 'ACTIVE', updated_at: 1 }, to: { state: 'DISABLED', updated_at: 2 } }] },
    });
  });

  it('delete: every cascaded row first, then the row', () => {
    expect(objectDeleted('user', user, [{ table: 'group_users', row: gu }]).details).toEqual({
      v: 2,
      changes: [
        { op: 'delete', table: 'group_users', row: gu },
        { op: 'delete', table: 'users', row: user },
      ],
    });
  });

  it('links: add, re-time with the expiry, remove; sweep passes its action and cause', () => {
    expect(linkPut('group_users', gu, null)).toMatchObject({ action: 'group.add-user', targetType: 'group', targetId: 'grp_1', details: { changes: [{ op: 'insert', row: gu }] } });
    expect(linkPut('service_resources', { service_id: 'svc_1', resource_id: 'res_1', expires_at: 9 }, { service_id: 'svc_1', resource_id: 'res_1', expires_at: null }).details).toEqual({
      v: 2,
      changes: [{ op: 'update', table: 'service_resources', key: { service_id: 'svc_1', resource_id: 'res_1' }, from: { expires_at: null }, to: { expires_at: 9 } }],
    });
    expect(linkRemoved('group_users', gu, { action: 'sweep.membership.delete', cause: 'sweep' })).toMatchObject({ action: 'sweep.membership.delete', details: { cause: 'sweep' } });
  });

  it('keys: key.* with a cause, a fingerprint of the stored hash, never the hash or lastUsedAt', () => {
    const created = keyCreated(key, 'rotate', { rotatedFrom: 'key_0' });
    expect(created).toEqual({
      action: 'key.create',
      targetType: 'key',
      targetId: 'key_1',
      details: {
        v: 2,
        cause: 'rotate',
        rotatedFrom: 'key_0',
        changes: [
          {
            op: 'insert',
            table: 'service_keys',
            row: { id: 'key_1', service_id: 'svc_1', name: 'k', name_key: 'k', token_fingerprint: tokenFingerprint(key.token_hash), hint: 'ack_…abcd', created_at: 1, expires_at: 9, revoked_at: null },
          },
        ],
      },
    });
    expect(tokenFingerprint(key.token_hash)).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(created)).not.toContain(key.token_hash);
    expect(keyUpdated('key.revoke', key, { ...key, revoked_at: 3, last_used_at: 8 }, 'revoke').details).toEqual({
      v: 2,
      cause: 'revoke',
      changes: [{ op: 'update', table: 'service_keys', key: { id: 'key_1' }, from: { revoked_at: null }, to: { revoked_at: 3 } }],
    });
    expect(keyDeleted(key, 'service.delete')).toMatchObject({ action: 'key.delete', details: { cause: 'service.delete' } });
    const exchanged = tokenExchanged('key_1', { id: 'tok_1', hint: 'act_…', expiresAt: 5, tokenHash: 'f'.repeat(64), createdAt: 2 });
    expect(exchanged).toEqual({
      action: 'key.exchange',
      targetType: 'key',
      targetId: 'key_1',
      details: {
        v: 2,
        cause: 'exchange',
        changes: [{ op: 'insert', table: 'exchange_tokens', row: { id: 'tok_1', key_id: 'key_1', token_fingerprint: tokenFingerprint('f'.repeat(64)), created_at: 2, expires_at: 5 } }],
        tokenId: 'tok_1',
        hint: 'act_…',
        expiresAt: 5,
      },
    });
    expect(JSON.stringify(exchanged)).not.toContain('f'.repeat(64));
  });

  it('config: insert on first set, update after', () => {
    expect(settingSet(null, { key: 'k', value: '1', updated_at: 2 }).details).toEqual({ v: 2, changes: [{ op: 'insert', table: 'settings', row: { key: 'k', value: '1', updated_at: 2 } }] });
    expect(settingSet({ key: 'k', value: '1', updated_at: 2 }, { key: 'k', value: '2', updated_at: 3 }).details).toEqual({
      v: 2,
      changes: [{ op: 'update', table: 'settings', key: { key: 'k' }, from: { value: '1', updated_at: 2 }, to: { value: '2', updated_at: 3 } }],
    });
  });
});

describe('replay', () => {
  const ev = (seq: number) => ({ seq, at: seq, actor: 'a', action: 'x' });
  it('folds events into a State and reports what does not fit', () => {
    const r = newReplay();
    replayEvent(r, ev(1), { description: 'format 1: skipped' });
    replayEvent(r, ev(2), objectCreated('user', user, []).details!);
    replayEvent(r, ev(3), linkPut('group_users', gu, null).details!);
    replayEvent(r, ev(4), objectUpdated('user', { ...user, state: 'DISABLED' }, { ...user, state: 'ACTIVE' }).details!);
    replayEvent(r, ev(5), objectCreated('user', user, []).details!);
    expect(r.skipped).toBe(1);
    expect(r.startSeq).toBe(2);
    expect(r.state.users.get('usr_1')).toEqual(user);
    // A link written without a start (an event from before schema 4) replays with a NULL one.
    expect(r.state.groupUsers.get(linkKey('grp_1', 'usr_1'))).toEqual({ starts_at: null, ...gu });
    expect(r.anomalies).toEqual([
      { seq: 4, table: 'users', id: 'usr_1', problem: 'state was "ACTIVE", the event says "DISABLED"' },
      { seq: 5, table: 'users', id: 'usr_1', problem: 'inserted twice' },
    ]);
  });

  it('compares keys by fingerprint and ignores lastUsedAt', () => {
    const r = newReplay();
    replayEvent(r, ev(1), keyCreated(key, 'create').details!);
    const live = emptyState();
    live.keys.set('key_1', { ...key, last_used_at: 99 });
    expect(diffStates(r.state, live, tokenFingerprint)).toEqual([]);
    live.keys.set('key_1', { ...key, token_hash: 'cd'.repeat(32) });
    expect(diffStates(r.state, live, tokenFingerprint)).toEqual([
      { table: 'service_keys', id: 'key_1', field: 'token_hash', replayed: tokenFingerprint(key.token_hash), live: tokenFingerprint('cd'.repeat(32)) },
    ]);
  });
});
