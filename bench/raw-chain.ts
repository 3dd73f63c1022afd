/**
 * Raw loops that write audit events as accessctl does, for the baselines of commands that write
 * (bench/sync.ts, bench/access-code.ts, the import figure in bench/run.ts): canonical JSON of the
 * details (keys sorted at every depth), each event hashed into the SHA-256 chain after the head
 * (src/domain/audit-chain.ts: SHA-256 of the previous hash and the event's canonical text), on
 * the bare driver: better-sqlite3, or pg on one connection.
 */
import { join } from 'node:path';

/** The chain's pieces, as JavaScript source for a raw script: ids, canonical JSON, event text, and `chain`. */
export const CHAIN = String.raw`
const { createHash, randomBytes } = require('node:crypto');
const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const newId = (prefix) => { let s = prefix; for (const b of randomBytes(16)) s += A[b % 62]; return s; };
const eventId = () => newId('evt_');
const sorted = (v) => {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sorted);
  const out = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sorted(v[k]);
  return out;
};
const canonical = (v) => JSON.stringify(sorted(v));
const str = JSON.stringify;
const eventText = (e) => '{"action":' + str(e.action) + ',"actor":' + str(e.actor) + ',"at":' + str(e.at) + ',"details":' + e.details + ',"id":' + str(e.id) + ',"seq":' + str(e.seq) + ',"targetId":' + str(e.targetId) + ',"targetType":' + str(e.targetType) + '}';
const EVENT_COLUMNS = ['seq', 'id', 'at', 'actor', 'action', 'target_type', 'target_id', 'details', 'hash'];
/** Events after the head {seq, hash, at}: each call returns the audit_events row (EVENT_COLUMNS) of the next. */
const chain = (last, now, actor) => {
  let seq = last.seq;
  let hash = last.hash;
  const at = Math.max(now, last.at);
  return (action, targetType, targetId, details) => {
    const e = { seq: ++seq, id: eventId(), at, actor, action, targetType, targetId, details: canonical(details) };
    hash = createHash('sha256').update(hash + eventText(e), 'utf8').digest('hex');
    return [e.seq, e.id, e.at, e.actor, e.action, e.targetType, e.targetId, e.details, hash];
  };
};
`;

const HEAD = 'select seq, hash, at from audit_events order by seq desc limit 1';

/**
 * The driver, as JavaScript source: `begin()`, `head()`, `insert(table, columns, rows)` (rows as
 * arrays), `commit()`; the store is process.argv[2].
 */
export function rawDriver(dialect: 'sqlite' | 'postgres', root: string): string {
  if (dialect === 'sqlite') {
    return `const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL'); db.pragma('foreign_keys = ON');
const begin = async () => db.exec('begin immediate');
const head = async () => db.prepare(${JSON.stringify(HEAD)}).get() ?? { seq: 0, hash: '', at: -Infinity };
const statements = new Map();
const insert = async (table, columns, rows) => {
  let s = statements.get(table);
  if (!s) statements.set(table, (s = db.prepare('insert into ' + table + ' (' + columns.join(', ') + ') values (' + columns.map(() => '?').join(', ') + ')')));
  for (const r of rows) s.run(r);
};
const commit = async () => { db.exec('commit'); db.close(); };
`;
  }
  return `const pg = require(${JSON.stringify(join(root, 'node_modules', 'pg'))}); pg.types.setTypeParser(20, (v) => Number(v));
const c = new pg.Client(process.argv[2]);
const begin = async () => { await c.connect(); await c.query('begin'); };
const head = async () => (await c.query(${JSON.stringify(HEAD)})).rows[0] ?? { seq: 0, hash: '', at: -Infinity };
const insert = async (table, columns, rows) => {
  const per = Math.floor(30000 / columns.length);
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    const values = part.map((_, k) => '(' + columns.map((__, j) => '$' + (k * columns.length + j + 1)).join(',') + ')').join(',');
    await c.query('insert into ' + table + ' (' + columns.join(', ') + ') values ' + values, part.flat());
  }
};
const commit = async () => { await c.query('commit'); await c.end(); };
`;
}

/** A script that prints {"events": n, "users": n} for the store in process.argv[2]. */
export function countScript(dialect: 'sqlite' | 'postgres', root: string): string {
  const sql = 'select (select count(*) from audit_events) as events, (select count(*) from users) as users';
  if (dialect === 'sqlite') {
    return `const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
process.stdout.write(JSON.stringify(new Database(process.argv[2], { readonly: true }).prepare(${JSON.stringify(sql)}).get()));`;
  }
  return `const pg = require(${JSON.stringify(join(root, 'node_modules', 'pg'))}); pg.types.setTypeParser(20, (v) => Number(v));
const c = new pg.Client(process.argv[2]);
c.connect().then(() => c.query(${JSON.stringify(sql)})).then((r) => { process.stdout.write(JSON.stringify(r.rows[0])); return c.end(); }).catch((e) => { console.error(e.message); process.exit(1); });`;
}
