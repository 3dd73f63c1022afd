/**
 * The access-as-code figure: `apply` of a file into an empty store and `plan` of the same file
 * against the store it made (nothing to do, but every object, link and access path compared),
 * each against raw better-sqlite3 inserts of the same rows in one transaction.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AccessCodeSizes {
  users: number;
  groups: number;
  resources: number;
  membersPerGroup: number;
  resourcesPerGroup: number;
}

export const ACCESS_FULL: AccessCodeSizes = { users: 10_000, groups: 1_000, resources: 500, membersPerGroup: 10, resourcesPerGroup: 3 };
export const ACCESS_SMOKE: AccessCodeSizes = { users: 50, groups: 5, resources: 5, membersPerGroup: 10, resourcesPerGroup: 3 };

/** Writes the YAML access file (the form people keep in git) and returns its path. */
export function writeAccessFile(dir: string, s: AccessCodeSizes): string {
  const out: string[] = ['version: 1', 'users:'];
  for (let i = 0; i < s.users; i++) out.push(`  - email: user${i}@example.com`, `    firstName: User`, `    lastName: "${i}"`);
  out.push('resources:');
  for (let i = 0; i < s.resources; i++) out.push(`  - name: res-${i}`, `    address: host${i}.internal`, '    tcp: 22,443');
  out.push('groups:');
  for (let g = 0; g < s.groups; g++) {
    out.push(`  - name: team-${g}`, '    members:');
    for (let m = 0; m < s.membersPerGroup; m++) {
      const user = (g * s.membersPerGroup + m) % s.users;
      // Every fifth membership is ephemeral, as an on-call rotation's would be.
      if (m % 5 === 0) out.push(`      - email: user${user}@example.com`, '        expiresAt: 2027-01-01T00:00:00Z');
      else out.push(`      - user${user}@example.com`);
    }
    out.push('    resources:');
    for (let r = 0; r < s.resourcesPerGroup; r++) out.push(`      - res-${(g * s.resourcesPerGroup + r) % s.resources}`);
  }
  const path = join(dir, 'access.yaml');
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

/** Raw inserts of the same rows (random ids, same schema), one prepared statement per table. */
export function rawInsertScript(s: AccessCodeSizes): string {
  return `const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL'); db.pragma('foreign_keys = ON');
const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const id = (p) => { let s = p; for (const b of require('crypto').randomBytes(16)) s += A[b % 62]; return s; };
const now = Date.now(); const exp = Date.parse('2027-01-01T00:00:00Z');
const S = ${JSON.stringify(s)};
db.transaction(() => {
  const u = db.prepare("insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values (?, ?, ?, 'User', ?, 'MEMBER', 'ACTIVE', 'MANUAL', ?, ?)");
  const users = []; for (let i = 0; i < S.users; i++) { const x = id('usr_'); users.push(x); u.run(x, 'user' + i + '@example.com', 'user' + i + '@example.com', String(i), now, now); }
  const r = db.prepare("insert into resources values (?, ?, ?, ?, null, '22,443', 'ALLOW_ALL', 1, 1, ?, ?)");
  const res = []; for (let i = 0; i < S.resources; i++) { const x = id('res_'); res.push(x); r.run(x, 'res-' + i, 'res-' + i, 'host' + i + '.internal', now, now); }
  const g = db.prepare("insert into groups (id, name, name_key, type, is_active, expires_at, created_at, updated_at) values (?, ?, ?, 'MANUAL', 1, null, ?, ?)");
  const gu = db.prepare('insert into group_users (group_id, user_id, expires_at, created_at) values (?, ?, ?, ?)');
  const gr = db.prepare('insert into group_resources values (?, ?, null, ?)');
  for (let i = 0; i < S.groups; i++) {
    const x = id('grp_'); g.run(x, 'team-' + i, 'team-' + i, now, now);
    for (let m = 0; m < S.membersPerGroup; m++) gu.run(x, users[(i * S.membersPerGroup + m) % S.users], m % 5 === 0 ? exp : null, now);
    for (let k = 0; k < S.resourcesPerGroup; k++) gr.run(x, res[(i * S.resourcesPerGroup + k) % S.resources], now);
  }
})();
db.close();`;
}

/**
 * The honest baseline: the same rows as `apply` writes, and its audit events (one per created
 * user, resource and group, and per membership and group resource: cause `apply` and the file's
 * SHA-256, canonical JSON in the SHA-256 chain), on the bare driver (bench/raw-chain.ts). The file
 * is read for its digest, not parsed. process.argv: the store, the access file.
 */
export function rawApplyLoop(s: AccessCodeSizes): string {
  return String.raw`
const now = Date.parse(process.env.ACCESSCTL_NOW);
const actor = process.env.ACCESSCTL_ACTOR;
const exp = Date.parse('2027-01-01T00:00:00Z');
const S = ${JSON.stringify(s)};
const fileSha256 = createHash('sha256').update(require('node:fs').readFileSync(process.argv[3])).digest('hex');
const COLS = {
  users: ['id', 'email', 'email_key', 'first_name', 'last_name', 'role', 'state', 'type', 'login', 'created_at', 'updated_at'],
  resources: ['id', 'name', 'name_key', 'address', 'alias', 'tcp', 'udp', 'icmp', 'is_active', 'created_at', 'updated_at'],
  groups: ['id', 'name', 'name_key', 'type', 'is_active', 'expires_at', 'request_policy', 'created_at', 'updated_at'],
  group_users: ['group_id', 'user_id', 'starts_at', 'expires_at', 'created_at'],
  group_resources: ['group_id', 'resource_id', 'expires_at', 'created_at'],
};
(async () => {
  await begin();
  const append = chain(await head(), now, actor);
  const rows = { users: [], resources: [], groups: [], group_users: [], group_resources: [] };
  const events = [];
  const add = (table, row, action, targetType, targetId) => {
    rows[table].push(COLS[table].map((c) => row[c]));
    events.push(append(action, targetType, targetId, { v: 2, cause: 'apply', fileSha256, changes: [{ op: 'insert', table, row }] }));
  };
  const users = [];
  for (let i = 0; i < S.users; i++) {
    const id = newId('usr_'); users.push(id);
    add('users', { id, email: 'user' + i + '@example.com', email_key: 'user' + i + '@example.com', first_name: 'User', last_name: String(i), role: 'MEMBER', state: 'ACTIVE', type: 'MANUAL', login: null, created_at: now, updated_at: now }, 'user.create', 'user', id);
  }
  const res = [];
  for (let i = 0; i < S.resources; i++) {
    const id = newId('res_'); res.push(id);
    add('resources', { id, name: 'res-' + i, name_key: 'res-' + i, address: 'host' + i + '.internal', alias: null, tcp: '22,443', udp: 'ALLOW_ALL', icmp: 1, is_active: 1, created_at: now, updated_at: now }, 'resource.create', 'resource', id);
  }
  for (let g = 0; g < S.groups; g++) {
    const id = newId('grp_');
    add('groups', { id, name: 'team-' + g, name_key: 'team-' + g, type: 'MANUAL', is_active: 1, expires_at: null, request_policy: null, created_at: now, updated_at: now }, 'group.create', 'group', id);
    for (let m = 0; m < S.membersPerGroup; m++) add('group_users', { group_id: id, user_id: users[(g * S.membersPerGroup + m) % S.users], starts_at: null, expires_at: m % 5 === 0 ? exp : null, created_at: now }, 'group.add-user', 'group', id);
    for (let k = 0; k < S.resourcesPerGroup; k++) add('group_resources', { group_id: id, resource_id: res[(g * S.resourcesPerGroup + k) % S.resources], expires_at: null, created_at: now }, 'group.add-resource', 'group', id);
  }
  for (const table of Object.keys(COLS)) await insert(table, COLS[table], rows[table]);
  await insert('audit_events', EVENT_COLUMNS, events);
  await commit();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;
}
