import BetterSqlite3 from 'better-sqlite3';
import { eventHash, type AuditEvent } from '../src/domain/audit-chain.js';
import { randomIds } from '../src/domain/ids.js';
import { hashToken, newToken, tokenHint } from '../src/domain/tokens.js';

export interface Sizes {
  users: number;
  resources: number;
  groups: number;
  expiredGroups: number;
  memberships: number;
  services: number;
  keys: number;
  auditEvents: number;
}

export const FULL: Sizes = {
  users: 100_000,
  resources: 10_000,
  groups: 10_000,
  expiredGroups: 1_000,
  memberships: 1_000_000,
  services: 5_000,
  keys: 50_000,
  auditEvents: 1_000_000,
};

export const SMOKE: Sizes = { users: 200, resources: 20, groups: 40, expiredGroups: 4, memberships: 800, services: 10, keys: 40, auditEvents: 500 };

export interface Fixture {
  userEmail: string;
  userId: string;
  resourceName: string;
  groupId: string;
  token: string;
  now: number;
}

/**
 * Fills a freshly created store with raw inserts (the fixture, not the thing measured).
 * Every row is valid for accessctl, and the audit log is a real hash chain.
 */
export function buildFixture(file: string, sizes: Sizes, now: number): Fixture {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const ids = randomIds();
  const userIds: string[] = [];
  const resourceIds: string[] = [];
  const groupIds: string[] = [];
  let token = '';
  db.transaction(() => {
    const user = db.prepare('insert into users values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < sizes.users; i++) {
      const id = ids.id('user');
      userIds.push(id);
      user.run(id, `user${i}@example.com`, `user${i}@example.com`, 'First', `Last${i}`, 'MEMBER', 'ACTIVE', 'MANUAL', now, now);
    }
    const resource = db.prepare("insert into resources values (?, ?, ?, ?, null, 'ALLOW_ALL', 'ALLOW_ALL', 1, 1, ?, ?)");
    for (let i = 0; i < sizes.resources; i++) {
      const id = ids.id('resource');
      resourceIds.push(id);
      resource.run(id, `res-${i}`, `res-${i}`, `host${i}.internal`, now, now);
    }
    const group = db.prepare("insert into groups values (?, ?, ?, 'MANUAL', 1, ?, ?, ?)");
    for (let i = 0; i < sizes.groups; i++) {
      const id = ids.id('group');
      groupIds.push(id);
      // The first expiredGroups groups expired an hour ago; the rest are permanent.
      group.run(id, `group-${i}`, `group-${i}`, i < sizes.expiredGroups ? now - 3_600_000 : null, now, now);
    }
    const member = db.prepare('insert into group_users values (?, ?, null, ?)');
    const perGroup = Math.ceil(sizes.memberships / sizes.groups);
    let made = 0;
    for (let g = 0; g < sizes.groups && made < sizes.memberships; g++) {
      for (let k = 0; k < perGroup && made < sizes.memberships; k++) {
        member.run(groupIds[g], userIds[(g * 7919 + k * 104_729) % userIds.length], now);
        made++;
      }
    }
    const assign = db.prepare('insert into group_resources values (?, ?, null, ?)');
    for (let g = 0; g < sizes.groups; g++) assign.run(groupIds[g], resourceIds[g % resourceIds.length], now);
    const service = db.prepare("insert into services values (?, ?, ?, '', 'ACTIVE', ?, ?)");
    const direct = db.prepare('insert into service_resources values (?, ?, null, ?)');
    const key = db.prepare('insert into service_keys values (?, ?, ?, ?, ?, ?, ?, ?, null, null)');
    const keysPer = Math.ceil(sizes.keys / sizes.services);
    let keys = 0;
    for (let s = 0; s < sizes.services; s++) {
      const id = ids.id('service');
      service.run(id, `svc-${s}`, `svc-${s}`, now, now);
      direct.run(id, resourceIds[s % resourceIds.length], now);
      for (let k = 0; k < keysPer && keys < sizes.keys; k++, keys++) {
        const t = newToken('key', ids);
        if (!token) token = t;
        key.run(ids.id('key'), id, `key-${k}`, `key-${k}`, hashToken(t), tokenHint(t), now, now + 365 * 86_400_000);
      }
    }
    const audit = db.prepare('insert into audit_events values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // The chain continues whatever the store already holds (its opt-in to clock overrides).
    const head = db.prepare('select seq, hash from audit_events order by seq desc limit 1').get() as { seq: number; hash: string } | undefined;
    let prev = head?.hash ?? '';
    for (let i = 1; i <= sizes.auditEvents; i++) {
      const seq = (head?.seq ?? 0) + i;
      const event: AuditEvent = {
        seq,
        id: ids.id('event'),
        at: now - (sizes.auditEvents - i) * 1000,
        actor: 'bench',
        action: 'user.update',
        targetType: 'user',
        targetId: userIds[seq % userIds.length]!,
        details: { lastName: { from: 'Old', to: `Last${seq}` } },
      };
      prev = eventHash(prev, event);
      audit.run(seq, event.id, event.at, event.actor, event.action, event.targetType, event.targetId, JSON.stringify(event.details), prev);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('analyze');
  db.close();
  // The member of the first permanent group reaches that group's resource.
  const g = sizes.expiredGroups;
  const perGroup = Math.ceil(sizes.memberships / sizes.groups);
  const userIndex = (g * 7919) % userIds.length;
  void perGroup;
  return {
    userEmail: `user${userIndex}@example.com`,
    userId: userIds[userIndex]!,
    resourceName: `res-${g % resourceIds.length}`,
    groupId: groupIds[g]!,
    token,
    now,
  };
}
