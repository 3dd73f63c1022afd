/**
 * The directory-sync figure (docs/directory-sync.md): the nightly `user sync --from okta` of an
 * export of every user against a store that already holds them all as `SYNCED`, with 1% of the
 * rows changed (most a new last name, a few suspended) and a few people gone from the file.
 *
 * The baseline is a raw loop on the bare driver (better-sqlite3, or pg on one connection) doing
 * the same reads and writes in one transaction: it reads the file and its SHA-256, loads every
 * user, compares the file's first name, last name and mapped state with each, updates the rows
 * that differ, disables the `SYNCED` users the file lacks, and appends one event per change after
 * the chain head, as accessctl writes them: action `user.sync.update` or `user.sync.disable`,
 * details (format 2) with the columns' from and to, cause `sync`, the file's SHA-256 and the
 * line, as canonical JSON (keys sorted at every depth), hashed into the SHA-256 chain.
 *
 * What it does not replicate: CSV parsing (quoting, BOM, CRLF: it splits on commas and newlines,
 * which this file allows), the checks of every cell (email syntax, names' characters and NFC,
 * states other than Okta's), creating users (the file has no new people), locking on PostgreSQL,
 * and the clock-override check every accessctl write makes. Its result is checked against
 * accessctl's once per run: the same users, the same number of events, a log that replays to its tables (db check).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Measured } from './measure.js';
import { CHAIN } from './raw-chain.js';

export interface SyncBench {
  dialect: 'sqlite' | 'postgres';
  /** The SQLite fixture the file is written from (the PostgreSQL fixture is a copy of it). */
  template: string;
  /** A fresh copy of the fixture: sync writes. */
  fresh(): string;
  root: string;
  dir: string;
  node: string;
  bin: string;
  now: string;
  pairs: number;
  measure: (command: string[], opts?: { env?: Record<string, string | undefined> }) => Measured;
  interleaved: (pairs: number, base: () => Measured, ours: () => Measured) => { base: Measured; ours: Measured };
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, rssLimit?: number) => void;
}

/** People gone from the file and people suspended in it: 6 disables, within the default guard of 10. */
const LEAVING = 3;
const SUSPENDED = 3;

interface SyncFile {
  path: string;
  users: number;
  changed: number;
}

/**
 * The Okta people report (its own headers, one column accessctl ignores) of every user in the
 * fixture, 1% of them changed (at least 10 rows, so a tiny fixture still has each kind).
 */
export function writeSyncFile(template: string, dir: string): SyncFile {
  const db = new BetterSqlite3(template, { readonly: true });
  const users = db.prepare("select email, first_name, last_name, state from users where type = 'SYNCED' order by rowid").all() as Array<{ email: string; first_name: string; last_name: string; state: string }>;
  db.close();
  const changed = Math.max(10, Math.round(users.length / 100));
  const step = Math.floor(users.length / changed);
  const lines = ['Username,First name,Last name,Primary email,Status,Department'];
  users.forEach((u, i) => {
    const k = i % step === 0 ? i / step : -1;
    if (k >= 0 && k < LEAVING) return;
    const status = k >= LEAVING && k < LEAVING + SUSPENDED ? 'SUSPENDED' : u.state === 'ACTIVE' ? 'ACTIVE' : 'SUSPENDED';
    const last = k >= LEAVING + SUSPENDED && k < changed ? `${u.last_name}-Moved` : u.last_name;
    lines.push(`${u.email},${u.first_name},${last},${u.email},${status},Engineering`);
  });
  const path = join(dir, 'okta-users.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, users: users.length, changed };
}

/** The raw loop, shared by both drivers; each defines begin, users, head, update, insertEvents, commit. */
const LOOP = String.raw`
${CHAIN}
const now = Date.parse(process.env.ACCESSCTL_NOW);
const actor = process.env.ACCESSCTL_ACTOR;
const COLUMNS = ['id', 'email', 'email_key', 'first_name', 'last_name', 'role', 'state', 'type', 'created_at', 'updated_at'];
const STATES = { ACTIVE: 'ACTIVE', PROVISIONED: 'ACTIVE', STAGED: 'ACTIVE', RECOVERY: 'ACTIVE', LOCKED_OUT: 'ACTIVE', PASSWORD_EXPIRED: 'ACTIVE', SUSPENDED: 'DISABLED', DEPROVISIONED: 'DISABLED' };
(async () => {
  const bytes = require('node:fs').readFileSync(process.argv[3]);
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  const lines = bytes.toString('utf8').split('\n');
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const [iEmail, iFirst, iLast, iStatus] = ['primary email', 'first name', 'last name', 'status'].map((h) => header.indexOf(h));
  await begin();
  const existing = new Map();
  for (const u of await users()) existing.set(u.email_key, u);
  const last = await head();
  let seq = last.seq;
  let hash = last.hash;
  const at = Math.max(now, last.at);
  const events = [];
  const append = (action, before, after, extra) => {
    const from = {};
    const to = {};
    for (const c of COLUMNS) if (before[c] !== after[c]) { from[c] = before[c]; to[c] = after[c]; }
    const details = canonical({ ...extra, v: 2, changes: [{ op: 'update', table: 'users', key: { id: before.id }, from, to }], cause: 'sync' });
    const e = { seq: ++seq, id: eventId(), at, actor, action, targetType: 'user', targetId: before.id, details };
    hash = createHash('sha256').update(hash + eventText(e), 'utf8').digest('hex');
    events.push([e.seq, e.id, e.at, e.actor, e.action, e.targetType, e.targetId, e.details, hash]);
  };
  const seen = new Set();
  const updates = [];
  let disables = 0;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const cells = lines[i].split(',');
    const key = cells[iEmail].normalize('NFKC').toLowerCase();
    seen.add(key);
    const before = existing.get(key);
    if (!before) throw new Error('line ' + (i + 1) + ': a new user (this file has none)');
    const after = { ...before, first_name: cells[iFirst].normalize('NFC'), last_name: cells[iLast].normalize('NFC'), state: STATES[cells[iStatus].trim().toUpperCase()], type: 'SYNCED' };
    if (after.first_name === before.first_name && after.last_name === before.last_name && after.state === before.state && before.type === 'SYNCED') continue;
    if (after.state === 'DISABLED' && before.state !== 'DISABLED') disables++;
    after.updated_at = now;
    updates.push(after);
    append('user.sync.update', before, after, { line: i + 1, fileSha256 });
  }
  const gone = [...existing.values()].filter((u) => u.type === 'SYNCED' && u.state === 'ACTIVE' && !seen.has(u.email_key)).sort((a, b) => (a.email_key < b.email_key ? -1 : 1));
  if (gone.length + disables > 10) throw new Error('more than 10 disables');
  for (const u of gone) {
    const after = { ...u, state: 'DISABLED', updated_at: now };
    updates.push(after);
    append('user.sync.disable', u, after, { fileSha256 });
  }
  for (const u of updates) await update(u);
  await insertEvents(events);
  await commit();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

const UPDATE = 'update users set first_name = $1, last_name = $2, state = $3, type = $4, updated_at = $5 where id = $6';
const updateArgs = 'u.first_name, u.last_name, u.state, u.type, u.updated_at, u.id';
const HEAD = 'select seq, hash, at from audit_events order by seq desc limit 1';

function rawSqliteSync(root: string): string {
  return `const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL'); db.pragma('foreign_keys = ON');
const begin = async () => db.exec('begin immediate');
const users = async () => db.prepare('select * from users').all();
const head = async () => db.prepare(${JSON.stringify(HEAD)}).get() ?? { seq: 0, hash: '', at: -Infinity };
const upd = db.prepare(${JSON.stringify(UPDATE.replace(/\$\d/g, '?'))});
const update = async (u) => upd.run(${updateArgs});
const ins = db.prepare('insert into audit_events (seq, id, at, actor, action, target_type, target_id, details, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
const insertEvents = async (rows) => { for (const r of rows) ins.run(r); };
const commit = async () => { db.exec('commit'); db.close(); };
${LOOP}`;
}

function rawPgSync(root: string): string {
  return `const pg = require(${JSON.stringify(join(root, 'node_modules', 'pg'))}); pg.types.setTypeParser(20, (v) => Number(v));
const c = new pg.Client(process.argv[2]);
const begin = async () => { await c.connect(); await c.query('begin'); };
const users = async () => (await c.query('select * from users')).rows;
const head = async () => (await c.query(${JSON.stringify(HEAD)})).rows[0] ?? { seq: 0, hash: '', at: -Infinity };
const update = async (u) => c.query(${JSON.stringify(UPDATE)}, [${updateArgs}]);
const insertEvents = async (rows) => {
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200);
    const values = part.map((_, k) => '(' + Array.from({ length: 9 }, (__, j) => '$' + (k * 9 + j + 1)).join(',') + ')').join(',');
    await c.query('insert into audit_events (seq, id, at, actor, action, target_type, target_id, details, hash) values ' + values, part.flat());
  }
};
const commit = async () => { await c.query('commit'); await c.end(); };
${LOOP}`;
}

/** What a store holds after a sync, for comparing the two: its users, and whether its chain verifies. */
function outcome(b: SyncBench, store: string): { users: string; events: number; verify: number | null } {
  const run = (args: string[]) => spawnSync(b.node, [b.bin, '--db', store, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: b.now } });
  const events = run(['-f', 'ndjson', 'audit', 'list', '--action', 'user.sync.*']).stdout.trim().split('\n').filter(Boolean).length;
  return { users: run(['-f', 'csv', 'user', 'list']).stdout, events, verify: run(['-q', 'db', 'check']).status };
}

export function syncFigure(b: SyncBench): void {
  const file = writeSyncFile(b.template, b.dir);
  const raw = b.script(`sync-${b.dialect}`, b.dialect === 'sqlite' ? rawSqliteSync(b.root) : rawPgSync(b.root));
  const env = { ACCESSCTL_ACTOR: 'bench' };
  let rawStore = '';
  let ourStore = '';
  // Each run gets its own copy of the fixture; only the last pair's are kept, for the check below.
  const next = (previous: string) => {
    if (previous !== '' && !previous.includes('://')) for (const f of [previous, `${previous}-wal`, `${previous}-shm`]) rmSync(f, { force: true });
    return b.fresh();
  };
  const m = b.interleaved(
    b.pairs,
    () => b.measure([b.node, raw, (rawStore = next(rawStore)), file.path], { env }),
    () => b.measure([b.node, b.bin, '--db', (ourStore = next(ourStore)), '-q', 'user', 'sync', '--from', 'okta', file.path], { env }),
  );
  // Not timed: the baseline did the same work (the same users, as many events, a log that replays to the tables).
  const ours = outcome(b, ourStore);
  const theirs = outcome(b, rawStore);
  if (ours.users !== theirs.users || ours.events !== file.changed || theirs.events !== file.changed || ours.verify !== 0 || theirs.verify !== 0) {
    throw new Error(`user sync: the raw loop's store differs from accessctl's (users ${ours.users === theirs.users ? 'same' : 'differ'}, events ${ours.events} and ${theirs.events} of ${file.changed}, verify ${ours.verify} and ${theirs.verify})`);
  }
  b.record(`user sync of ${file.users.toLocaleString('en-US')} users, ${file.changed.toLocaleString('en-US')} changed (--from okta)`, m, 2, 300);
}
