/**
 * The user import figure: `user import` of a CSV file of new users into an empty store, against
 *
 *  - a raw loop on the bare driver (better-sqlite3, or pg on one connection) writing the same rows
 *    and the same audit events in one transaction: one `user.import.create` per row, details
 *    (format 2) with the inserted row, cause `import` and the file's line, as canonical JSON in
 *    the SHA-256 chain (bench/raw-chain.ts). It splits lines on commas (this file has no quoting)
 *    and checks no cell (email syntax, names, duplicates). Each run checks that both stores end
 *    with as many users and as many events;
 *  - raw prepared inserts of the same rows with no events, for reference (the figure before the
 *    events were counted).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measured } from './measure.js';
import { CHAIN, countScript, rawDriver } from './raw-chain.js';

export interface ImportBench {
  dialect: 'sqlite' | 'postgres';
  /** A fresh empty store. */
  empty(): string;
  root: string;
  dir: string;
  node: string;
  bin: string;
  rows: number;
  pairs: number;
  measure: (command: string[], opts?: { env?: Record<string, string | undefined> }) => Measured;
  interleaved: (pairs: number, base: () => Measured, ours: () => Measured) => { base: Measured; ours: Measured };
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, rssLimit?: number) => void;
}

const IMPORT_LOOP = String.raw`
const now = Date.parse(process.env.ACCESSCTL_NOW);
const actor = process.env.ACCESSCTL_ACTOR;
const COLS = ['id', 'email', 'email_key', 'first_name', 'last_name', 'role', 'state', 'type', 'login', 'created_at', 'updated_at'];
(async () => {
  const lines = require('node:fs').readFileSync(process.argv[3], 'utf8').split('\n');
  await begin();
  const append = chain(await head(), now, actor);
  let users = [];
  let events = [];
  const flush = async () => { await insert('users', COLS, users); await insert('audit_events', EVENT_COLUMNS, events); users = []; events = []; };
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [email, first, last, role] = lines[i].split(',');
    const id = newId('usr_');
    const row = { id, email, email_key: email.toLowerCase(), first_name: first, last_name: last, role, state: 'ACTIVE', type: 'MANUAL', login: null, created_at: now, updated_at: now };
    users.push(COLS.map((c) => row[c]));
    events.push(append('user.import.create', 'user', id, { v: 2, cause: 'import', line: i + 1, changes: [{ op: 'insert', table: 'users', row }] }));
    if (users.length === 1000) await flush();
  }
  await flush();
  await commit();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** Raw inserts of the users alone (random 16-character base62 ids), no events: the reference figure. */
function rowsOnly(b: ImportBench, requireDriver: string): string {
  const ids = `const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const id = () => { let s = 'usr_'; for (const b of require('crypto').randomBytes(16)) s += A[b % 62]; return s; };
const lines = require('fs').readFileSync(process.argv[3], 'utf8').trim().split('\\n').slice(1);
const now = Date.now();`;
  return b.dialect === 'sqlite'
    ? `${requireDriver}${ids}
const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
const insert = db.prepare("insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values (?, ?, ?, ?, ?, 'MEMBER', 'ACTIVE', 'MANUAL', ?, ?)");
db.transaction(() => { for (const line of lines) { const [email, first, last] = line.split(','); insert.run(id(), email, email.toLowerCase(), first, last, now, now); } })();
db.close();`
    : `${requireDriver}${ids}
const c = new pg.Client(process.argv[2]);
(async () => { await c.connect(); await c.query('begin');
  for (let i = 0; i < lines.length; i += 3000) { const part = lines.slice(i, i + 3000); const p = [];
    const values = part.map((line, k) => { const [email, first, last] = line.split(','); p.push(id(), email, email.toLowerCase(), first, last, now, now); const b = k * 7; return '($' + (b + 1) + ',$' + (b + 2) + ',$' + (b + 3) + ',$' + (b + 4) + ',$' + (b + 5) + ",'MEMBER','ACTIVE','MANUAL',$" + (b + 6) + ',$' + (b + 7) + ')'; });
    await c.query('insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values ' + values.join(','), p); }
  await c.query('commit'); await c.end(); })();`;
}

/** What a store holds, for comparing the two sides: {events, users}. */
export function counts(node: string, counter: string, store: string): { events: number; users: number } {
  const r = spawnSync(node, [counter, store], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`counting ${store}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { events: number; users: number };
}

export function importFigure(b: ImportBench): void {
  const csv = join(b.dir, 'import.csv');
  if (!existsSync(csv)) {
    const lines = ['email,firstName,lastName,role'];
    for (let i = 0; i < b.rows; i++) lines.push(`import${i}@example.com,First,Last${i},MEMBER`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
  }
  const requireDriver =
    b.dialect === 'sqlite'
      ? `const Database = require(${JSON.stringify(join(b.root, 'node_modules', 'better-sqlite3'))});\n`
      : `const pg = require(${JSON.stringify(join(b.root, 'node_modules', 'pg'))});\n`;
  const raw = b.script(`import-${b.dialect}`, rowsOnly(b, requireDriver));
  const withEvents = b.script(`import-events-${b.dialect}`, `${rawDriver(b.dialect, b.root)}${CHAIN}${IMPORT_LOOP}`);
  const counter = b.script(`count-${b.dialect}`, countScript(b.dialect, b.root));
  const env = { ACCESSCTL_ACTOR: 'bench' };
  const rows = b.rows.toLocaleString('en-US');
  let rawStore = '';
  let ourStore = '';
  const honest = b.interleaved(b.pairs, () => b.measure([b.node, withEvents, (rawStore = b.empty()), csv], { env }), () => b.measure([b.node, b.bin, '--db', (ourStore = b.empty()), '-q', 'user', 'import', csv], { env }));
  // Not timed: the raw loop wrote what accessctl wrote (as many users, as many events).
  const ours = counts(b.node, counter, ourStore);
  const theirs = counts(b.node, counter, rawStore);
  if (ours.events !== theirs.events || ours.users !== theirs.users || ours.users !== b.rows) {
    throw new Error(`user import: the raw loop's store differs from accessctl's (events ${ours.events} and ${theirs.events}, users ${ours.users} and ${theirs.users} of ${b.rows})`);
  }
  b.record(`user import of ${rows} rows vs raw inserts of the rows and their audit events`, honest, b.dialect === 'sqlite' ? 2 : 3, 300);
  const m = b.interleaved(b.pairs, () => b.measure([b.node, raw, b.empty(), csv]), () => b.measure([b.node, b.bin, '--db', b.empty(), '-q', 'user', 'import', csv], { env }));
  b.record(`user import of ${rows} rows vs raw inserts of the rows alone (no audit events; for reference)`, m, null);
}
