import { describe, expect, it } from 'vitest';
import { evaluateAccess, type CandidatePath, type ResourceFacts, type Subject } from '../../src/domain/access.js';

const user: Subject = { kind: 'user', id: 'usr_1', name: 'ada@example.com', state: 'ACTIVE' };
const db: ResourceFacts = { id: 'res_1', name: 'prod-db', address: 'db', isActive: true, tcp: '5432', udp: 'DENY_ALL', icmp: false };
const T = Date.UTC(2026, 10, 23);
const viaGroup = (over: Partial<Extract<CandidatePath, { via: 'group' }>> = {}): CandidatePath => ({
  via: 'group',
  groupId: 'grp_1',
  groupName: 'ops',
  groupActive: true,
  groupExpiresAt: null,
  memberStartsAt: null,
  memberExpiresAt: null,
  assignmentExpiresAt: null,
  ...over,
});

describe('the access rule', () => {
  it.each(['groupExpiresAt', 'memberExpiresAt', 'assignmentExpiresAt'] as const)('a %s of T allows at T-1 ms and denies at T', (field) => {
    const paths = [viaGroup({ [field]: T })];
    expect(evaluateAccess(user, db, paths, T - 1).allowed).toBe(true);
    const denied = evaluateAccess(user, db, paths, T);
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toBe(`grant expired at ${new Date(T).toISOString()}`);
  });
  it('reports the earliest expiry along a path and which link sets it', () => {
    const d = evaluateAccess(user, db, [viaGroup({ groupExpiresAt: T + 10, memberExpiresAt: T + 5 })], T);
    expect(d.paths).toEqual([{ via: 'group', groupId: 'grp_1', groupName: 'ops', expiresAt: T + 5, limitedBy: 'membership' }]);
  });
  it('gives every denial reason', () => {
    expect(evaluateAccess({ ...user, state: 'DISABLED' }, db, [viaGroup()], T).reason).toBe('user ada@example.com is DISABLED');
    expect(evaluateAccess(user, { ...db, isActive: false }, [viaGroup()], T).reason).toBe('resource prod-db is inactive');
    expect(evaluateAccess(user, db, [], T).reason).toMatch(/^no grant/);
    expect(evaluateAccess(user, db, [viaGroup({ groupActive: false })], T).reason).toMatch(/inactive/);
    expect(evaluateAccess(user, db, [viaGroup()], T, { protocol: 'tcp', port: 22 }).reason).toMatch(/tcp port 22 is not allowed/);
    expect(evaluateAccess(user, db, [viaGroup()], T, { protocol: 'udp' }).reason).toMatch(/udp is not allowed/);
    expect(evaluateAccess(user, db, [viaGroup()], T, { protocol: 'icmp' }).reason).toMatch(/icmp is not allowed/);
    expect(evaluateAccess(user, db, [viaGroup()], T, { protocol: 'tcp', port: 5432 }).allowed).toBe(true);
  });
  it('a membership that starts at T denies at T-1 ms, saying when it starts, and allows at T', () => {
    const paths = [viaGroup({ memberStartsAt: T, memberExpiresAt: T + 3_600_000 })];
    const before = evaluateAccess(user, db, paths, T - 1);
    expect(before.allowed).toBe(false);
    expect(before.reason).toBe(`the membership in group ops starts at ${new Date(T).toISOString()}`);
    const at = evaluateAccess(user, db, paths, T);
    expect(at.allowed).toBe(true);
    expect(at.paths[0]!.expiresAt).toBe(T + 3_600_000);
    expect(evaluateAccess(user, db, paths, T + 3_600_000).allowed).toBe(false);
  });
  it('a started path grants while another has not started yet', () => {
    const d = evaluateAccess(user, db, [viaGroup({ memberStartsAt: T + 10 }), viaGroup({ groupId: 'grp_2', groupName: 'dev' })], T);
    expect(d.allowed).toBe(true);
    expect(d.paths.map((p) => p.groupId)).toEqual(['grp_2']);
  });
  it('one live path is enough; the longest-lasting comes first', () => {
    const d = evaluateAccess(user, db, [viaGroup({ groupExpiresAt: T - 1 }), viaGroup({ groupId: 'grp_2', memberExpiresAt: T + 100 }), viaGroup({ groupId: 'grp_3' })], T);
    expect(d.allowed).toBe(true);
    expect(d.paths.map((p) => p.groupId)).toEqual(['grp_3', 'grp_2']);
  });
  it('services reach resources directly too', () => {
    const svc: Subject = { kind: 'service', id: 'svc_1', name: 'ci', state: 'ACTIVE' };
    expect(evaluateAccess(svc, db, [{ via: 'direct', assignmentExpiresAt: T + 1 }], T).paths[0]!.via).toBe('direct');
    expect(evaluateAccess(svc, db, [{ via: 'direct', assignmentExpiresAt: T }], T).allowed).toBe(false);
  });
});
