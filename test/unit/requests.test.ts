import { describe, expect, it } from 'vitest';
import { sqliteLogin } from '../../src/domain/login.js';
import { grantWindow, planMembership, planRevoke, shownState, whyMayNotDecide, type Actor } from '../../src/domain/requests.js';
import type { RequestsTable, UsersTable } from '../../src/store/tables.js';

const H = 3_600_000;

describe('the login on SQLite', () => {
  it('SUDO_USER is trusted only when the effective user owns the store, and only when it could be a login', () => {
    expect(sqliteLogin({ effectiveUser: 'accessctl', sudoUser: 'ada', effectiveUidOwnsStore: true })).toBe('ada');
    expect(sqliteLogin({ effectiveUser: 'mallory', sudoUser: 'ada', effectiveUidOwnsStore: false })).toBe('mallory');
    expect(sqliteLogin({ effectiveUser: 'root', sudoUser: '', effectiveUidOwnsStore: true })).toBe('root');
    expect(sqliteLogin({ effectiveUser: 'root', sudoUser: undefined, effectiveUidOwnsStore: true })).toBe('root');
    expect(sqliteLogin({ effectiveUser: 'root', sudoUser: 'a\u200bda', effectiveUidOwnsStore: true })).toBe('root');
  });
});

describe('request rules', () => {
  const row = { state: 'PENDING', pending_until: 10 * H, expires_at: null, start_at: null, duration_ms: 2 * H, user_id: 'usr_ada', requested_by: 'ada' } as unknown as RequestsTable;
  it('EXPIRED and ENDED are judged at read time', () => {
    expect(shownState(row, 10 * H - 1)).toBe('PENDING');
    expect(shownState(row, 10 * H)).toBe('EXPIRED');
    expect(shownState({ ...row, state: 'APPROVED', expires_at: 5 * H }, 5 * H)).toBe('ENDED');
    expect(shownState({ ...row, state: 'REVOKED', expires_at: 5 * H }, 6 * H)).toBe('REVOKED');
  });

  it('the window starts at approval, or at a later --start', () => {
    expect(grantWindow(row, 3 * H)).toEqual({ startsAt: 3 * H, expiresAt: 5 * H });
    expect(grantWindow({ ...row, start_at: 7 * H }, 3 * H)).toEqual({ startsAt: 7 * H, expiresAt: 9 * H });
    expect(grantWindow({ ...row, start_at: 1 * H }, 3 * H)).toEqual({ startsAt: 3 * H, expiresAt: 5 * H });
  });

  it('a membership is kept when it covers the window, joined when it meets it, refused when apart in the future', () => {
    const w = { startsAt: 10 * H, expiresAt: 12 * H };
    expect(planMembership(undefined, w, 10 * H)).toEqual({ kind: 'insert' });
    expect(planMembership({ starts_at: null, expires_at: null }, w, 10 * H)).toEqual({ kind: 'keep' });
    expect(planMembership({ starts_at: null, expires_at: 9 * H }, w, 10 * H)).toEqual({ kind: 'set', startsAt: 10 * H, expiresAt: 12 * H });
    expect(planMembership({ starts_at: null, expires_at: 11 * H }, w, 10 * H)).toEqual({ kind: 'set', startsAt: null, expiresAt: 12 * H });
    expect(planMembership({ starts_at: 11 * H, expires_at: null }, w, 10 * H)).toEqual({ kind: 'set', startsAt: 10 * H, expiresAt: null });
    expect(planMembership({ starts_at: 20 * H, expires_at: 30 * H }, w, 10 * H)).toEqual({ kind: 'conflict' });
  });

  it('who may decide: the reasons, in order', () => {
    const user = (id: string, state = 'ACTIVE') => ({ id, email: `${id}@example.com`, state }) as UsersTable;
    const actor = (a: Partial<Actor>): Actor => ({ login: 'bob', user: user('usr_bob'), approver: true, approversName: 'approvers', askerUserId: undefined, ...a });
    expect(whyMayNotDecide(row, actor({}))).toBeNull();
    expect(whyMayNotDecide(row, actor({ user: undefined }))).toBe('no user is linked to login bob');
    expect(whyMayNotDecide(row, actor({ user: user('usr_bob', 'DISABLED') }))).toBe('your user usr_bob@example.com is disabled');
    expect(whyMayNotDecide(row, actor({ user: user('usr_ada') }))).toBe('you are the user this access is for');
    expect(whyMayNotDecide(row, actor({ login: 'ada', user: user('usr_x') }))).toBe('you asked for it');
    expect(whyMayNotDecide(row, actor({ askerUserId: 'usr_bob' }))).toBe('you asked for it');
    expect(whyMayNotDecide(row, actor({ approver: false }))).toBe('not a member of approvers group approvers');
  });

  it('a revoke ends what the grant added and gives back what the user held anyway', () => {
    const granted = { starts_at: 10 * H, expires_at: 12 * H };
    // The grant made the row: removed.
    expect(planRevoke(granted, { ...granted }, { kind: 'insert' }, 11 * H)).toEqual({ kind: 'delete' });
    // The grant left a covering membership alone, even one ending at the same moment: kept.
    expect(planRevoke(granted, { starts_at: null, expires_at: 12 * H }, { kind: 'none' }, 11 * H)).toEqual({ kind: 'keep' });
    // The grant moved a later membership's start earlier: the start goes back.
    const earlier = { kind: 'update' as const, from: { starts_at: 11.5 * H }, to: { starts_at: 10 * H } };
    expect(planRevoke(granted, { starts_at: 10 * H, expires_at: 14 * H }, earlier, 11 * H)).toEqual({ kind: 'set', startsAt: 11.5 * H, expiresAt: 14 * H });
    // ...unless something changed it since.
    expect(planRevoke(granted, { starts_at: 9 * H, expires_at: 14 * H }, earlier, 11 * H)).toEqual({ kind: 'keep' });
    // The grant extended an earlier membership's end: the end goes back, or the row goes if that end has passed.
    const later = { kind: 'update' as const, from: { expires_at: 11.5 * H }, to: { expires_at: 12 * H } };
    expect(planRevoke(granted, { starts_at: null, expires_at: 12 * H }, later, 11 * H)).toEqual({ kind: 'set', startsAt: null, expiresAt: 11.5 * H });
    expect(planRevoke(granted, { starts_at: null, expires_at: 12 * H }, later, 11.5 * H)).toEqual({ kind: 'delete' });
    // Without the grant's event: the request's own times decide, and its window never outlives the revoke.
    expect(planRevoke(granted, { ...granted }, undefined, 11 * H)).toEqual({ kind: 'delete' });
    expect(planRevoke(granted, { starts_at: 10 * H, expires_at: 14 * H }, undefined, 11 * H)).toEqual({ kind: 'set', startsAt: 12 * H, expiresAt: 14 * H });
    expect(planRevoke(granted, { starts_at: null, expires_at: null }, undefined, 11 * H)).toEqual({ kind: 'keep' });
    expect(planRevoke(granted, undefined, { kind: 'insert' }, 11 * H)).toEqual({ kind: 'keep' });
  });
});
