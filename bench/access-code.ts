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
