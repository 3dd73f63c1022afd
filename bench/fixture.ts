import BetterSqlite3 from 'better-sqlite3';
import { storedEventHash } from '../src/domain/audit-chain.js';
import { event, insertChange, type Change, type ReplayTable } from '../src/domain/audit-events.js';
import { canonicalJson } from '../src/domain/canonical-json.js';
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
  /** Key tokens of the first services (svc-0 ...), for the batch figure's mix. */
  tokens: string[];
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
  const tokens: string[] = [];
  // The log is one format 2 event per created object (a group with its links, a service with its
  // direct assignment), then user updates up to the event count: replaying it rebuilds the tables.
  const created: Array<{ type: string; id: string; changes: Change[] }> = [];
  const ins = (table: ReplayTable, row: Record<string, unknown>) => insertChange(table, row);
  db.transaction(() => {
    const user = db.prepare('insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < sizes.users; i++) {
      const id = ids.id('user');
      userIds.push(id);
      // SYNCED: the people came from a directory export, so the sync figure (bench/sync.ts) has them.
      user.run(id, `user${i}@example.com`, `user${i}@example.com`, 'First', `Last${i}`, 'MEMBER', 'ACTIVE', 'SYNCED', now, now);
      created.push({ type: 'user', id, changes: [ins('users', { id, email: `user${i}@example.com`, email_key: `user${i}@example.com`, first_name: 'First', last_name: `Last${i}`, role: 'MEMBER', state: 'ACTIVE', type: 'SYNCED', login: null, created_at: now, updated_at: now })] });
    }
    const resource = db.prepare("insert into resources values (?, ?, ?, ?, null, 'ALLOW_ALL', 'ALLOW_ALL', 1, 1, ?, ?)");
    for (let i = 0; i < sizes.resources; i++) {
      const id = ids.id('resource');
      resourceIds.push(id);
      resource.run(id, `res-${i}`, `res-${i}`, `host${i}.internal`, now, now);
      created.push({ type: 'resource', id, changes: [ins('resources', { id, name: `res-${i}`, name_key: `res-${i}`, address: `host${i}.internal`, alias: null, tcp: 'ALLOW_ALL', udp: 'ALLOW_ALL', icmp: 1, is_active: 1, created_at: now, updated_at: now })] });
    }
    const group = db.prepare("insert into groups (id, name, name_key, type, is_active, expires_at, created_at, updated_at) values (?, ?, ?, 'MANUAL', 1, ?, ?, ?)");
    for (let i = 0; i < sizes.groups; i++) {
      const id = ids.id('group');
      groupIds.push(id);
      // The first expiredGroups groups expired an hour ago; the rest are permanent.
      group.run(id, `group-${i}`, `group-${i}`, i < sizes.expiredGroups ? now - 3_600_000 : null, now, now);
      created.push({ type: 'group', id, changes: [ins('groups', { id, name: `group-${i}`, name_key: `group-${i}`, type: 'MANUAL', is_active: 1, expires_at: i < sizes.expiredGroups ? now - 3_600_000 : null, request_policy: null, created_at: now, updated_at: now })] });
    }
    const member = db.prepare('insert or ignore into group_users (group_id, user_id, expires_at, created_at) values (?, ?, null, ?)');
    const perGroup = Math.ceil(sizes.memberships / sizes.groups);
    let made = 0;
    for (let g = 0; g < sizes.groups && made < sizes.memberships; g++) {
      for (let k = 0; k < perGroup && made < sizes.memberships; k++) {
        const u = userIds[(g * 7919 + k * 104_729) % userIds.length]!;
        if (member.run(groupIds[g], u, now).changes > 0) created[sizes.users + sizes.resources + g]!.changes.push(ins('group_users', { group_id: groupIds[g], user_id: u, starts_at: null, expires_at: null, created_at: now }));
        made++;
      }
    }
    const assign = db.prepare('insert into group_resources values (?, ?, null, ?)');
    for (let g = 0; g < sizes.groups; g++) {
      assign.run(groupIds[g], resourceIds[g % resourceIds.length], now);
      created[sizes.users + sizes.resources + g]!.changes.push(ins('group_resources', { group_id: groupIds[g], resource_id: resourceIds[g % resourceIds.length], expires_at: null, created_at: now }));
    }
    const service = db.prepare("insert into services values (?, ?, ?, '', 'ACTIVE', ?, ?)");
    const direct = db.prepare('insert into service_resources values (?, ?, null, ?)');
    const key = db.prepare('insert into service_keys values (?, ?, ?, ?, ?, ?, ?, ?, null, null)');
    const keysPer = Math.ceil(sizes.keys / sizes.services);
    let keys = 0;
    for (let s = 0; s < sizes.services; s++) {
      const id = ids.id('service');
      service.run(id, `svc-${s}`, `svc-${s}`, now, now);
      direct.run(id, resourceIds[s % resourceIds.length], now);
      created.push({
        type: 'service',
        id,
        changes: [
          ins('services', { id, name: `svc-${s}`, name_key: `svc-${s}`, description: '', state: 'ACTIVE', created_at: now, updated_at: now }),
          ins('service_resources', { service_id: id, resource_id: resourceIds[s % resourceIds.length], expires_at: null, created_at: now }),
        ],
      });
      for (let k = 0; k < keysPer && keys < sizes.keys; k++, keys++) {
        const t = newToken('key', ids);
        if (!token) token = t;
        if (k === 0 && tokens.length < 100) tokens.push(t);
        const keyId = ids.id('key');
        key.run(keyId, id, `key-${k}`, `key-${k}`, hashToken(t), tokenHint(t), now, now + 365 * 86_400_000);
        created.push({ type: 'key', id: keyId, changes: [ins('service_keys', { id: keyId, service_id: id, name: `key-${k}`, name_key: `key-${k}`, token_hash: hashToken(t), hint: tokenHint(t), created_at: now, expires_at: now + 365 * 86_400_000, revoked_at: null })] });
      }
    }
    const audit = db.prepare('insert into audit_events values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // The chain continues whatever the store already holds (its opt-in to clock overrides), those
    // events moved back before the fixture's (retimeLog).
    const earlier = retimeLog(db, now - sizes.auditEvents * 1000);
    const head = earlier.seq > 0 ? { seq: earlier.seq } : undefined;
    let prev = earlier.hash;
    const lastName = new Map<string, string>();
    for (let i = 1; i <= sizes.auditEvents; i++) {
      const seq = (head?.seq ?? 0) + i;
      const made = created[i - 1];
      let entry;
      if (made) entry = event(`${made.type}.create`, made.type, made.id, made.changes);
      else {
        const u = userIds[seq % userIds.length]!;
        const from = lastName.get(u) ?? `Last${seq % userIds.length}`;
        lastName.set(u, `Last${seq}`);
        entry = event('user.update', 'user', u, [{ op: 'update', table: 'users', key: { id: u }, from: { last_name: from }, to: { last_name: `Last${seq}` } }]);
      }
      const stored = { seq, id: ids.id('event'), at: now - (sizes.auditEvents - i) * 1000, actor: 'bench', action: entry.action, targetType: entry.targetType, targetId: entry.targetId, details: canonicalJson(entry.details) };
      prev = storedEventHash(prev, stored);
      audit.run(seq, stored.id, stored.at, stored.actor, stored.action, stored.targetType, stored.targetId, stored.details, prev);
    }
    const rename = db.prepare('update users set last_name = ? where id = ?');
    for (const [u, name] of lastName) rename.run(name, u);
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
    tokens,
    now,
  };
}

/**
 * Moves a new store's events (db init's, made on the machine's clock) to the seconds before
 * `endAt` and re-chains them: time rises with seq through the whole log (SPEC section 10), so a
 * bench run under ACCESSCTL_NOW sees no event in its future, and --as-of and access diff measure
 * real answers. Returns the head.
 */
export function retimeLog(db: BetterSqlite3.Database, endAt: number): { seq: number; hash: string } {
  type Row = { seq: number; id: string; actor: string; action: string; target_type: string; target_id: string; details: string };
  const rows = db.prepare('select seq, id, actor, action, target_type, target_id, details from audit_events order by seq').all() as Row[];
  const update = db.prepare('update audit_events set at = ?, hash = ? where seq = ?');
  let hash = '';
  let seq = 0;
  rows.forEach((r, j) => {
    const at = endAt - (rows.length - j) * 1000;
    hash = storedEventHash(hash, { seq: r.seq, id: r.id, at, actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, details: r.details });
    update.run(at, hash, r.seq);
    seq = r.seq;
  });
  return { seq, hash };
}
