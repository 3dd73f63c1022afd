/**
 * The `db check` figures: the whole-store check (integrity, foreign keys, the audit chain verified
 * and replayed, the replayed state compared with every table) on the fixture store, against
 *
 *  - a raw loop on better-sqlite3 doing the same reads: SQLite's integrity and foreign key checks,
 *    then every event in seq order (its details parsed, checked to be the canonical text,
 *    hashed into the SHA-256 chain, its row changes folded into one map per table), then every
 *    row of every table compared column by column with what the log rebuilt (key token hashes by
 *    their fingerprint, `last_used_at` skipped, settings by value);
 *  - `audit verify`, which walks the same chain without replaying it.
 *
 * The three run interleaved (raw, verify, check, raw, ...), so each ratio is of runs side by side.
 * On PostgreSQL the raw loop reads the SQLite fixture the server's copy was made from: the same
 * rows, read with the bare driver, is the work to compare with (as bench/access-code.ts does).
 * What it does not replicate: the checks of the schema's objects, the events' time order, format 1
 * events and snapshots (the fixture has none), and the named report of each difference. Its
 * result is checked against accessctl's once per run: as many events, no difference, no anomaly.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { median, type Measured } from './measure.js';

export interface DbCheckBench {
  dialect: 'sqlite' | 'postgres';
  /** The store db check reads (a file, or a database on the throwaway server). */
  store: string;
  /** The SQLite file that holds the same rows, which the raw loop reads. */
  sqliteStore: string;
  root: string;
  node: string;
  bin: string;
  now: string;
  pairs: number;
  /** The fixture's events, for the figure's name (the log also holds db init's). */
  events: number;
  measure: (command: string[]) => Measured;
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, rssLimit?: number) => void;
}

/** The raw loop; prints {events, anomalies, differences} as JSON on stdout. */
function rawCheck(root: string): string {
  return String.raw`const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
const { createHash } = require('node:crypto');
const db = new Database(process.argv[2], { readonly: true });
const integrity = db.pragma('integrity_check');
if (integrity.length !== 1 || integrity[0].integrity_check !== 'ok') throw new Error('integrity_check failed');
const dangling = db.pragma('foreign_key_check').length;
const PK = { users: ['id'], resources: ['id'], groups: ['id'], services: ['id'], group_users: ['group_id', 'user_id'], group_resources: ['group_id', 'resource_id'], group_services: ['group_id', 'service_id'], service_resources: ['service_id', 'resource_id'], service_keys: ['id'], exchange_tokens: ['id'], settings: ['key'] };
const HASHED = new Set(['service_keys', 'exchange_tokens']);
const state = {};
for (const t of Object.keys(PK)) state[t] = new Map();
const keyOf = (t, row) => (PK[t].length === 1 ? String(row[PK[t][0]]) : String(row[PK[t][0]]) + '\u0000' + String(row[PK[t][1]]));
const fingerprint = (h) => createHash('sha256').update('accessctl-key-fingerprint\n' + h, 'utf8').digest('hex').slice(0, 32);
const sorted = (v) => {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sorted);
  const out = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sorted(v[k]);
  return out;
};
const str = JSON.stringify;
let prev = '';
let events = 0;
let anomalies = 0;
for (const e of db.prepare('select seq, id, at, actor, action, target_type, target_id, details, hash from audit_events order by seq').iterate()) {
  if (e.seq !== events + 1) throw new Error('seq ' + e.seq + ': an event is missing');
  const details = JSON.parse(e.details);
  if (details.v !== 2 || str(sorted(details)) !== e.details) throw new Error('seq ' + e.seq + ': not the canonical format 2 text');
  const text = '{"action":' + str(e.action) + ',"actor":' + str(e.actor) + ',"at":' + str(e.at) + ',"details":' + e.details + ',"id":' + str(e.id) + ',"seq":' + str(e.seq) + ',"targetId":' + str(e.target_id) + ',"targetType":' + str(e.target_type) + '}';
  prev = createHash('sha256').update(prev + text, 'utf8').digest('hex');
  if (prev !== e.hash) throw new Error('seq ' + e.seq + ': the hash does not match');
  events++;
  for (const c of details.changes) {
    const rows = state[c.table];
    const key = keyOf(c.table, c.op === 'update' ? c.key : c.row);
    const current = rows.get(key);
    if (c.op === 'insert') {
      if (current) anomalies++;
      rows.set(key, { ...c.row });
    } else if (c.op === 'update') {
      if (!current) { anomalies++; continue; }
      for (const col of Object.keys(c.from)) if (current[col] !== c.from[col]) anomalies++;
      Object.assign(current, c.to);
    } else if (!rows.delete(key)) anomalies++;
  }
}
let differences = dangling;
for (const t of Object.keys(PK)) {
  const replayed = state[t];
  for (const row of db.prepare('select * from ' + t).iterate()) {
    const key = keyOf(t, row);
    const r = replayed.get(key);
    if (!r) { differences++; continue; }
    replayed.delete(key);
    if (t === 'settings') { if (String(r.value) !== row.value) differences++; continue; }
    for (const col of Object.keys(row)) {
      if (t === 'service_keys' && col === 'last_used_at') continue;
      const hashed = HASHED.has(t) && col === 'token_hash';
      if ((hashed ? fingerprint(row[col]) : row[col]) !== (hashed ? r.token_fingerprint : r[col])) differences++;
    }
  }
  differences += replayed.size;
}
process.stdout.write(str({ events, anomalies, differences }) + '\n');
`;
}

const summary = (samples: Measured[]): Measured => ({
  ms: median(samples.map((s) => s.ms)),
  rssMb: samples[0]!.rssMb === null ? null : Math.max(...samples.map((s) => s.rssMb!)),
});

export function dbCheckFigures(b: DbCheckBench): void {
  const raw = b.script('db-check-raw', rawCheck(b.root));
  const accessctl = (args: string[]) => [b.node, b.bin, '--db', b.store, ...args];
  // Not timed: the raw loop read the same log and found the store as db check does.
  const env = { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: b.now };
  const theirs = spawnSync(b.node, [raw, b.sqliteStore], { encoding: 'utf8', env });
  const ours = spawnSync(b.node, [b.bin, '--db', b.store, '-f', 'json', 'db', 'check'], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const found = theirs.status === 0 ? (JSON.parse(theirs.stdout) as { events: number; anomalies: number; differences: number }) : null;
  const chain = ours.status === 0 ? (JSON.parse(ours.stdout) as Array<{ check: string; detail: string }>).find((r) => r.check === 'auditChain') : undefined;
  if (!found || found.events < b.events || found.anomalies !== 0 || found.differences !== 0 || chain?.detail !== `${found.events} events verified`) {
    throw new Error(`db check: the raw loop and accessctl disagree on the fixture (raw: ${found ? JSON.stringify(found) : theirs.stderr.slice(0, 300)}; db check exit ${ours.status}: ${chain?.detail ?? ours.stderr.slice(0, 300)})`);
  }
  const rawRuns: Measured[] = [];
  const verifyRuns: Measured[] = [];
  const checkRuns: Measured[] = [];
  for (let i = 0; i < b.pairs; i++) {
    rawRuns.push(b.measure([b.node, raw, b.sqliteStore]));
    verifyRuns.push(b.measure(accessctl(['-q', 'audit', 'verify'])));
    checkRuns.push(b.measure(accessctl(['-q', 'db', 'check'])));
  }
  const events = b.events.toLocaleString('en-US');
  b.record(`db check vs a raw better-sqlite3 check and replay (${events} events)`, { base: summary(rawRuns), ours: summary(checkRuns) }, null);
  b.record(`db check replay vs audit verify (${events} events)`, { base: summary(verifyRuns), ours: summary(checkRuns) }, 3, 300);
}
