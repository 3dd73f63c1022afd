/**
 * The batch figure: `access check --batch` answering 100,000 mixed requests (users, services and
 * tokens; allowed, denied and unknown) against a raw loop that answers the same requests with the
 * same SQL (compiled by the same Kysely builders) on the bare driver: better-sqlite3, or pg.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { compileAccessQueries } from '../src/store/access-lookups.js';
import type { Fixture, Sizes } from './fixture.js';

/** The request file: a third each of users, services and tokens; about half of each allowed. */
export function writeRequests(dir: string, fx: Fixture, sizes: Sizes, count: number): string {
  const lines: string[] = [];
  const perGroup = Math.ceil(sizes.memberships / sizes.groups);
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const j = (i * 7919) % 1000;
    if (kind === 0) {
      // A member of a permanent group g reaches res-(g % resources): allowed when that resource is asked.
      const g = sizes.expiredGroups + (j % (sizes.groups - sizes.expiredGroups));
      const user = `user${(g * 7919 + (j % perGroup) * 104_729) % sizes.users}@example.com`;
      const resource = i % 2 ? `res-${g % sizes.resources}` : `res-${(g + 1) % sizes.resources}`;
      lines.push(JSON.stringify(i % 10 === 0 ? { user: `nobody${i}@example.com`, resource } : { user, resource }));
    } else if (kind === 1) {
      const s = j % sizes.services;
      lines.push(JSON.stringify({ service: `svc-${s}`, resource: `res-${(i % 2 ? s : s + 1) % sizes.resources}`, port: 443 }));
    } else {
      const s = j % fx.tokens.length;
      lines.push(JSON.stringify({ token: fx.tokens[s], resource: `res-${(i % 2 ? s : s + 1) % sizes.resources}` }));
    }
  }
  const file = join(dir, 'requests.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The SQL texts of an access check in one dialect, as Kysely compiles them for accessctl. */
export function accessSql(dialect: 'sqlite' | 'postgres'): Record<string, string> {
  const db = new Kysely<never>({
    dialect: dialect === 'sqlite' ? new SqliteDialect({ database: {} as never }) : new PostgresDialect({ pool: {} as never }),
  });
  return Object.fromEntries(Object.entries(compileAccessQueries(db as never)).map(([k, q]) => [k, q.sql]));
}

/**
 * The raw loop's body, shared by both drivers: `one(sql, params)` returns the first row or
 * undefined, `all(sql, params)` the rows. It does what an access check does: token shape and
 * hash, the key and its service, the resource, the subject, its paths, the expiry rule; and it
 * writes one answer per request, all the answers of one chunk of input in one write.
 */
const LOOP = String.raw`
const { createHash } = require('node:crypto');
const now = Date.parse(process.env.ACCESSCTL_NOW);
const key = (s) => s.normalize('NFKC').toLowerCase();
const live = (at) => at === null || at === undefined || Number(at) > now;
const started = (at) => at === null || at === undefined || Number(at) <= now;
async function answer(r) {
  let service = r.service;
  if (r.token !== undefined) {
    const k = await one(SQL.keyByTokenHash, [createHash('sha256').update(r.token).digest('hex')]);
    if (!k || k.revoked_at !== null || !live(k.expires_at) || k.service_state !== 'ACTIVE') return { allowed: false, reason: 'invalid token', via: null, expiresAt: null };
    service = k.service_id;
  }
  const res = await one(r.resource.startsWith('res_') ? SQL.resourceById : SQL.resourceByName, [key(r.resource)]);
  if (!res) return { allowed: false, reason: 'resource not found', via: null, expiresAt: null };
  let paths;
  if (r.user !== undefined) {
    const u = await one(SQL.userByEmail, [key(r.user.trim())]);
    if (!u) return { allowed: false, reason: 'user not found', via: null, expiresAt: null };
    paths = (await all(SQL.userGroups, [u.id, res.id])).filter((p) => p.group_active && live(p.group_expires_at) && started(p.member_starts_at) && live(p.member_expires_at) && live(p.assignment_expires_at));
  } else {
    const s = await one(service.startsWith('svc_') ? SQL.serviceById : SQL.serviceByName, [service.startsWith('svc_') ? service : key(service)]);
    if (!s) return { allowed: false, reason: 'service not found', via: null, expiresAt: null };
    paths = [...(await all(SQL.serviceDirect, [s.id, res.id])).filter((p) => live(p.expires_at)), ...(await all(SQL.serviceGroups, [s.id, res.id])).filter((p) => p.group_active && live(p.group_expires_at))];
  }
  return paths.length ? { allowed: true, reason: null, via: paths[0].group_id ? 'group' : 'direct', expiresAt: null } : { allowed: false, reason: 'no path', via: null, expiresAt: null };
}
(async () => {
  let rest = '';
  for await (const chunk of process.stdin) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    let out = '';
    for (const line of lines) if (line) out += JSON.stringify(await answer(JSON.parse(line))) + '\n';
    process.stdout.write(out);
  }
  await done();
})();
`;

/** A node program answering requests on stdin with better-sqlite3: argv[2] is the store. */
export function rawSqliteBatch(root: string): string {
  return `const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
const SQL = ${JSON.stringify(accessSql('sqlite'))};
const db = new Database(process.argv[2]);
const stmts = new Map();
const prep = (sql) => { let s = stmts.get(sql); if (!s) stmts.set(sql, (s = db.prepare(sql))); return s; };
const one = async (sql, p) => prep(sql).get(p);
const all = async (sql, p) => prep(sql).all(p);
const done = async () => db.close();
${LOOP}`;
}

/** The same with pg on one connection: argv[2] is the database URL. */
export function rawPgBatch(root: string): string {
  return `const pg = require(${JSON.stringify(join(root, 'node_modules', 'pg'))});
pg.types.setTypeParser(20, (v) => Number(v));
const SQL = ${JSON.stringify(accessSql('postgres'))};
const client = new pg.Client({ connectionString: process.argv[2] });
const ready = client.connect();
const one = async (sql, p) => { await ready; return (await client.query(sql, p)).rows[0]; };
const all = async (sql, p) => { await ready; return (await client.query(sql, p)).rows; };
const done = async () => { await ready; await client.end(); };
${LOOP}`;
}
