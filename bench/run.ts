/**
 * accessctl performance: every figure against a baseline measured in the same run, interleaved
 * (baseline, accessctl, baseline, accessctl, ...), as the ratio of their medians, on SQLite and on
 * PostgreSQL. Not part of `npm test` (no timed assertions there); `npm run bench -- --smoke` runs
 * a tiny version, and the test suite runs that so this file cannot rot. docs/performance.md.
 *
 *   --smoke                 tiny sizes, few runs
 *   --only a,b              figure groups: single, batch, import, sync, sweep, lists, replay, review, access-code, concurrency
 *   --dialect sqlite|postgres
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBin, removeCluster, startCluster, type Cluster } from '../test/helpers/pg-cluster.js';
import { ACCESS_FULL, ACCESS_SMOKE, rawInsertScript, writeAccessFile } from './access-code.js';
import { rawPgBatch, rawSqliteBatch, writeRequests } from './batch.js';
import { dbCheckFigures } from './db-check.js';
import { reviewFigure } from './review.js';
import { serveFigures } from './serve.js';
import { syncFigure } from './sync.js';
import BetterSqlite3 from 'better-sqlite3';
import { buildFixture, FULL, retimeLog, SMOKE, type Fixture } from './fixture.js';
import { fmt, hasTime, interleaved, log, measurer, Report } from './measure.js';

const GROUPS = ['single', 'batch', 'import', 'sync', 'sweep', 'lists', 'replay', 'review', 'access-code', 'concurrency'];
const DIALECTS = ['sqlite', 'postgres'];
const argv = process.argv.slice(2);
/** A bad command line is one line and exit 2, before anything is built. */
function usage(message: string): never {
  log(`bench: ${message} (usage: npm run bench -- [--smoke] [--only ${GROUPS.join(',')}] [--dialect ${DIALECTS.join(',')}])`);
  process.exit(2);
}
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--only' || argv[i] === '--dialect') i++;
  else if (argv[i] !== '--smoke') usage(`unknown argument ${JSON.stringify(argv[i]!.slice(0, 40))}`);
}
/** The comma-separated values of `name`, each one of `allowed`; undefined when the flag is absent. */
function listFlag(name: string, allowed: readonly string[]): string[] | undefined {
  if (!argv.includes(name)) return undefined;
  const value = argv[argv.indexOf(name) + 1];
  if (value === undefined || value.startsWith('--')) usage(`${name} needs a value`);
  const items = value.split(',');
  const bad = items.find((x) => !allowed.includes(x));
  if (bad !== undefined) usage(`${name}: unknown ${JSON.stringify(bad.slice(0, 40))}`);
  return items;
}
const smoke = argv.includes('--smoke');
const only = listFlag('--only', GROUPS);
const dialects = (listFlag('--dialect', DIALECTS) ?? DIALECTS) as Array<'sqlite' | 'postgres'>;
const wanted = (group: string) => only === undefined || only.includes(group);
const sizes = smoke ? SMOKE : FULL;
const PAIRS = smoke ? 3 : 20;
const HEAVY_PAIRS = smoke ? 1 : 3;
const IMPORT_ROWS = smoke ? 500 : 1_000_000;
const BATCH_REQUESTS = smoke ? 300 : 100_000;
/** PostgreSQL answers a request in three or four round trips (~1 ms): a fifth as many keep its figure to minutes. */
const PG_BATCH_REQUESTS = smoke ? 300 : 20_000;
/** A million-row import takes minutes: one pair at full size. */
const IMPORT_PAIRS = 1;
// Bundled to bench/dist/run.mjs: the project root is two levels up.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl');
const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'accessctl-bench-'));
const NOW = '2026-11-22T23:00:00.000Z';
const measure = measurer(dir, NOW);
const report = new Report();
const started = Date.now();

function script(name: string, body: string): string {
  const file = join(dir, `${name}.cjs`);
  writeFileSync(file, body);
  return file;
}
const requireSqlite = `const Database = require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});\n`;
const requirePg = `const pg = require(${JSON.stringify(join(ROOT, 'node_modules', 'pg'))}); pg.types.setTypeParser(20, (v) => Number(v));\nconst Cursor = require(${JSON.stringify(join(ROOT, 'node_modules', 'pg-cursor'))});\n`;

/** Where a figure's store lives: a file, or a database on the throwaway server. */
interface Target {
  dialect: 'sqlite' | 'postgres';
  /** The fixture store, read-only figures use it as it is. */
  store: string;
  /** A fresh copy of the fixture (for figures that change it) or of an empty store. */
  fresh(of: 'fixture' | 'empty'): string;
}

async function main(): Promise<void> {
  let cluster: Cluster | null = null;
  // Ctrl-C or a kill leaves no server running and no gigabytes in /tmp. (The signal is handled
  // once the step under way returns: a figure's process, or building the fixture.)
  const stop = (signal: NodeJS.Signals) => {
    if (cluster) removeCluster(cluster);
    rmSync(dir, { recursive: true, force: true });
    log(`bench: stopped by ${signal}; the throwaway server and the temporary files are removed`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log(`accessctl bench (${smoke ? 'smoke' : 'full'}): ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  const empty = join(dir, 'empty.db');
  // A bench store is a test store: it opts in to ACCESSCTL_NOW (with the machine's clock), then
  // the fixture's own audit chain is written after that first event.
  const init = spawnSync(NODE, [BIN, '--db', empty, 'db', 'init', '--allow-clock-override'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (init.status !== 0) throw new Error(init.stderr);
  const emptyDb = new BetterSqlite3(empty);
  retimeLog(emptyDb, Date.parse(NOW) - 3_600_000);
  emptyDb.pragma('wal_checkpoint(TRUNCATE)');
  emptyDb.close();
  const template = join(dir, 'template.db');
  copyFileSync(empty, template);
  const t0 = Date.now();
  const fx = buildFixture(template, sizes, Date.parse(NOW));
  log(`  fixture: ${Object.entries(sizes).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const targets: Target[] = [];
  if (dialects.includes('sqlite')) targets.push(sqliteTarget(empty, template));
  try {
    if (dialects.includes('postgres')) {
      const pg = await postgresTarget(template, empty);
      if (pg) {
        cluster = pg.cluster;
        targets.push(pg.target);
      }
    }
    // The figures run processes synchronously: between two, the event loop turns once, so that a
    // signal that came meanwhile is handled (stop) instead of waiting for the whole run.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    if (wanted('single')) singleCalls(targets, fx);
    for (const t of targets) {
      if (wanted('batch')) await batchFigure(t, fx);
      await turn();
      if (wanted('import')) importFigure(t);
      await turn();
      if (wanted('sync')) syncFigure({ dialect: t.dialect, template, fresh: () => t.fresh('fixture'), root: ROOT, dir, node: NODE, bin: BIN, now: NOW, pairs: HEAVY_PAIRS, measure, interleaved, script, record: (figure, m, target, rssLimit) => report.record(t.dialect, figure, m, target, { rssLimit }) });
      await turn();
      if (wanted('sweep')) sweepFigure(t);
      await turn();
      if (wanted('lists')) listFigures(t);
      await turn();
      // 6. db check against a raw check-and-replay loop, and against audit verify (bench/db-check.ts).
      if (wanted('replay')) dbCheckFigures({ dialect: t.dialect, store: t.store, sqliteStore: t.dialect === 'sqlite' ? t.store : template, root: ROOT, node: NODE, bin: BIN, now: NOW, pairs: HEAVY_PAIRS, events: sizes.auditEvents, measure, script, record: (figure, m, target, rssLimit) => report.record(t.dialect, figure, m, target, { rssLimit }) });
      await turn();
      // 7. review start --all, its memory bound (bench/review.ts). SQLite: the raw loop is better-sqlite3's.
      if (wanted('review') && t.dialect === 'sqlite') reviewFigure({ fresh: () => t.fresh('fixture'), root: ROOT, node: NODE, bin: BIN, now: NOW, pairs: HEAVY_PAIRS, measure, script, record: (figure, m, target, rssLimit) => report.record(t.dialect, figure, m, target, { rssLimit }) });
      await turn();
      if (wanted('access-code')) accessCodeFigures(t);
      await turn();
      if (wanted('concurrency') && t.dialect === 'postgres') await concurrencyFigure(t);
    }
  } finally {
    if (cluster) removeCluster(cluster);
  }
  printTable();
}

function sqliteTarget(empty: string, template: string): Target {
  return {
    dialect: 'sqlite',
    store: (() => {
      const store = join(dir, 'store.db');
      copyFileSync(template, store);
      return store;
    })(),
    fresh(of) {
      const db = join(dir, `s-${Math.random().toString(36).slice(2)}.db`);
      copyFileSync(of === 'empty' ? empty : template, db);
      return db;
    },
  };
}

/** A throwaway server (or ACCESSCTL_BENCH_PG_URL), with the SQLite fixture copied row by row. */
async function postgresTarget(template: string, empty: string): Promise<{ target: Target; cluster: Cluster | null } | null> {
  let cluster: Cluster | null = null;
  let base = process.env.ACCESSCTL_BENCH_PG_URL;
  if (!base) {
    const bin = findPgBin();
    if (!bin) {
      log('PostgreSQL figures skipped: no server binaries under /usr/lib/postgresql and no ACCESSCTL_BENCH_PG_URL');
      return null;
    }
    cluster = await startCluster(bin);
    base = `${cluster.baseUrl}postgres`;
  }
  const url = (name: string) => {
    const u = new URL(base!);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const admin = (sql: string) => {
    const r = spawnSync(NODE, ['-e', `${requirePg}const c = new pg.Client(${JSON.stringify(url('postgres'))}); c.connect().then(() => c.query(process.argv[1])).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1); });`, sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
  };
  const prefix = `accessctl_bench_${process.pid}`;
  for (const name of ['empty', 'fixture']) {
    admin(`drop database if exists ${prefix}_${name}`);
    admin(`create database ${prefix}_${name} template template0`);
    const init = spawnSync(NODE, [BIN, '--db', url(`${prefix}_${name}`), 'db', 'init', '--allow-clock-override'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    if (init.status !== 0) throw new Error(init.stderr);
  }
  const t0 = Date.now();
  // The empty store's log too, as the SQLite one was retimed: no event in the bench clock's future.
  const copyEmpty = spawnSync(NODE, [script('copy-to-pg', copyToPgScript()), empty, url(`${prefix}_empty`)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (copyEmpty.status !== 0) throw new Error(`copying the empty store to PostgreSQL: ${copyEmpty.stderr}`);
  const copy = spawnSync(NODE, [script('copy-to-pg', copyToPgScript()), template, url(`${prefix}_fixture`)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (copy.status !== 0) throw new Error(`copying the fixture to PostgreSQL: ${copy.stderr}`);
  log(`  PostgreSQL fixture copied (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  let n = 0;
  const target: Target = {
    dialect: 'postgres',
    store: url(`${prefix}_fixture`),
    fresh(of) {
      const name = `${prefix}_${n++}`;
      admin(`create database ${name} template ${prefix}_${of}`);
      return url(name);
    },
  };
  return { target, cluster };
}

/** Copies every table of the SQLite fixture verbatim (the audit chain included) into the PostgreSQL store. */
function copyToPgScript(): string {
  return `${requireSqlite}${requirePg}
const src = new Database(process.argv[2], { readonly: true });
const client = new pg.Client(process.argv[3]);
const tables = ['users', 'resources', 'groups', 'services', 'group_users', 'group_resources', 'group_services', 'service_resources', 'service_keys', 'exchange_tokens', 'settings', 'audit_events'];
(async () => {
  await client.connect();
  await client.query('begin');
  await client.query('truncate ' + tables.join(', ') + ' cascade');
  for (const table of tables) {
    const cols = src.prepare('select * from ' + table + ' limit 0').columns().map((c) => c.name);
    const per = Math.floor(30000 / cols.length);
    let batch = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const values = batch.map((_, i) => '(' + cols.map((__, j) => '$' + (i * cols.length + j + 1)).join(',') + ')').join(',');
      await client.query('insert into ' + table + ' (' + cols.join(',') + ') values ' + values, batch.flat());
      batch = [];
    };
    for (const row of src.prepare('select * from ' + table).raw().iterate()) {
      batch.push(row);
      if (batch.length === per) await flush();
    }
    await flush();
  }
  await client.query('commit');
  await client.query('analyze');
  await client.end();
})().catch((e) => { console.error(e.message); process.exit(1); });`;
}

const cli = (store: string, args: string[]) => [NODE, BIN, '--db', store, ...args];

/** 1. One CLI call against bare node start-up (on PostgreSQL the call includes connecting). */
function singleCalls(targets: Target[], fx: Fixture): void {
  const calls = [
    ['-f csv group show -i G', ['-f', 'csv', 'group', 'show', '-i', fx.groupId], undefined],
    ['-f csv access check --user', ['-f', 'csv', 'access', 'check', '--user', fx.userEmail, '-r', fx.resourceName], undefined],
    ['-f csv access check --token-stdin', ['-f', 'csv', 'access', 'check', '--token-stdin', '-r', 'res-0'], fx.token],
  ] as const;
  for (const t of targets) {
    for (const [label, args, stdin] of calls) {
      const m = interleaved(PAIRS, () => measure([NODE, '-e', '0']), () => measure(cli(t.store, [...args]), { stdin }));
      report.record(t.dialect, `one call: ${label} vs node -e 0`, m, t.dialect === 'sqlite' ? 1.5 : null);
    }
    // The default table against CSV, the same call (SPEC section 7's table costs no more than CSV).
    const csv = ['-f', 'csv', 'group', 'show', '-i', fx.groupId];
    const table = interleaved(PAIRS, () => measure(cli(t.store, csv)), () => measure(cli(t.store, csv.slice(2))));
    report.record(t.dialect, 'one call: group show -i G, table vs -f csv', table, null, { overMs: 2 });
    if (t.dialect !== 'sqlite') continue;
    // A TAB asking for names (the first 500 users' emails from the prefix): completion never connects to PostgreSQL.
    const complete = [NODE, BIN, '__complete', '--', '--db', t.store, 'access', 'check', '--user', fx.userEmail.slice(0, 2)];
    const tab = interleaved(PAIRS, () => measure([NODE, '-e', '0']), () => measure(complete));
    report.record(t.dialect, 'one TAB: __complete of user names vs node -e 0', tab, null, { underMs: 100 });
  }
}

/** 2. access check --batch over mixed requests against the raw driver loop with the same SQL. */
async function batchFigure(t: Target, fx: Fixture): Promise<void> {
  const count = t.dialect === 'postgres' ? PG_BATCH_REQUESTS : BATCH_REQUESTS;
  const requests = writeRequests(dir, fx, sizes, count);
  const raw = script(`batch-${t.dialect}`, t.dialect === 'sqlite' ? rawSqliteBatch(ROOT) : rawPgBatch(ROOT));
  const m = interleaved(HEAVY_PAIRS, () => measure([NODE, raw, t.store], { stdinFile: requests }), () => measure(cli(t.store, ['access', 'check', '--batch']), { stdinFile: requests }));
  const rate = (ms: number) => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')} req/s`;
  report.record(t.dialect, `access check --batch, ${count.toLocaleString('en-US')} mixed requests (raw: ${rate(m.base.ms)})`, m, 2, { extra: rate(m.ours.ms) });
  // The same requests through a resident gate (accessctl serve), 8 clients at once.
  await serveFigures({
    dialect: t.dialect,
    store: t.store,
    dir,
    node: NODE,
    bin: BIN,
    now: NOW,
    pairs: PAIRS,
    heavyPairs: HEAVY_PAIRS,
    requests,
    count,
    raw,
    allowed: allowedPair(),
    measure,
    interleaved,
    script,
    record: (figure, mm, target, extra) => report.record(t.dialect, figure, mm, target, extra === undefined ? {} : { extra }),
  });
}

/** The first request of the batch figure's kind that the fixture allows: a group member and its resource. */
function allowedPair(): { user: string; resource: string } {
  const g = sizes.expiredGroups;
  return { user: `user${(g * 7919) % sizes.users}@example.com`, resource: `res-${g % sizes.resources}` };
}

/** 3. user import against raw prepared inserts of the same rows in one transaction. */
function importFigure(t: Target): void {
  const csv = join(dir, 'import.csv');
  if (!existsSync(csv)) {
    const lines = ['email,firstName,lastName,role'];
    for (let i = 0; i < IMPORT_ROWS; i++) lines.push(`import${i}@example.com,First,Last${i},MEMBER`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
  }
  // The same rows accessctl writes: random 16-character base62 ids, not sequential ones.
  const ids = `const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const id = () => { let s = 'usr_'; for (const b of require('crypto').randomBytes(16)) s += A[b % 62]; return s; };
const lines = require('fs').readFileSync(process.argv[3], 'utf8').trim().split('\\n').slice(1);
const now = Date.now();`;
  const raw =
    t.dialect === 'sqlite'
      ? script('import-sqlite', `${requireSqlite}${ids}
const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
const insert = db.prepare("insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values (?, ?, ?, ?, ?, 'MEMBER', 'ACTIVE', 'MANUAL', ?, ?)");
db.transaction(() => { for (const line of lines) { const [email, first, last] = line.split(','); insert.run(id(), email, email.toLowerCase(), first, last, now, now); } })();
db.close();`)
      : script('import-pg', `${requirePg}${ids}
const c = new pg.Client(process.argv[2]);
(async () => { await c.connect(); await c.query('begin');
  for (let i = 0; i < lines.length; i += 3000) { const part = lines.slice(i, i + 3000); const p = [];
    const values = part.map((line, k) => { const [email, first, last] = line.split(','); p.push(id(), email, email.toLowerCase(), first, last, now, now); const b = k * 7; return '($' + (b + 1) + ',$' + (b + 2) + ',$' + (b + 3) + ',$' + (b + 4) + ',$' + (b + 5) + ",'MEMBER','ACTIVE','MANUAL',$" + (b + 6) + ',$' + (b + 7) + ')'; });
    await c.query('insert into users (id, email, email_key, first_name, last_name, role, state, type, created_at, updated_at) values ' + values.join(','), p); }
  await c.query('commit'); await c.end(); })();`);
  const m = interleaved(IMPORT_PAIRS, () => measure([NODE, raw, t.fresh('empty'), csv]), () => measure(cli(t.fresh('empty'), ['-q', 'user', 'import', csv])));
  report.record(t.dialect, `user import of ${IMPORT_ROWS.toLocaleString('en-US')} rows`, m, 3, { rssLimit: 300 });
}

/** 4. sweep of the expired groups and their memberships against the equivalent raw DELETE. */
function sweepFigure(t: Target): void {
  const now = Date.parse(NOW);
  const raw =
    t.dialect === 'sqlite'
      ? script('sweep-sqlite', `${requireSqlite}const db = new Database(process.argv[2]); db.pragma('foreign_keys = ON'); db.pragma('synchronous = FULL');
db.transaction(() => { db.prepare('delete from groups where expires_at is not null and expires_at <= ?').run(${now}); })();
db.close();`)
      : script('sweep-pg', `${requirePg}const c = new pg.Client(process.argv[2]);
(async () => { await c.connect(); await c.query('begin'); await c.query('delete from groups where expires_at is not null and expires_at <= $1', [${now}]); await c.query('commit'); await c.end(); })();`);
  const m = interleaved(HEAVY_PAIRS, () => measure([NODE, raw, t.fresh('fixture')]), () => measure(cli(t.fresh('fixture'), ['-q', 'sweep'])));
  const members = sizes.expiredGroups * Math.ceil(sizes.memberships / sizes.groups);
  report.record(t.dialect, `sweep of ${sizes.expiredGroups.toLocaleString('en-US')} expired groups (${members.toLocaleString('en-US')} memberships)`, m, 2);
}

/** 5. Whole-store lists, streamed: time and peak memory against the driver streaming the same rows. */
function listFigures(t: Target): void {
  const stream = (name: string, sql: string, every: number) =>
    t.dialect === 'sqlite'
      ? script(`${name}-sqlite`, `${requireSqlite}const db = new Database(process.argv[2], { readonly: true }); let out = [];
for (const row of db.prepare(${JSON.stringify(sql)}).iterate()) { out.push(JSON.stringify(row)); if (out.length === ${every}) { process.stdout.write(out.join('\\n') + '\\n'); out = []; } }
process.stdout.write(out.join('\\n') + '\\n');`)
      : script(`${name}-pg`, `${requirePg}const c = new pg.Client(process.argv[2]);
(async () => { await c.connect(); const cur = c.query(new Cursor(${JSON.stringify(sql)}));
  for (;;) { const rows = await cur.read(${every}); if (rows.length === 0) break; process.stdout.write(rows.map((r) => JSON.stringify(r)).join('\\n') + '\\n'); }
  await cur.close(); await c.end(); })();`);
  const audit = stream('audit', 'select * from audit_events order by seq', 1000);
  const a = interleaved(HEAVY_PAIRS, () => measure([NODE, audit, t.store]), () => measure(cli(t.store, ['-f', 'ndjson', 'audit', 'list'])));
  report.record(t.dialect, `audit list -f ndjson (${sizes.auditEvents.toLocaleString('en-US')} events)`, a, 2, { rssLimit: 150 });
  const agg = t.dialect === 'sqlite' ? (col: string, table: string) => `(select group_concat(${col}, ';') from ${table} where group_id = g.id)` : (col: string, table: string) => `(select string_agg(${col}, ';' order by ${col}) from ${table} where group_id = g.id)`;
  const groups = stream('groups', `select g.*, ${agg('user_id', 'group_users')} users, ${agg('resource_id', 'group_resources')} resources from groups g order by g.id`, 100);
  const g = interleaved(HEAVY_PAIRS, () => measure([NODE, groups, t.store]), () => measure(cli(t.store, ['-f', 'csv', 'group', 'list'])));
  report.record(t.dialect, `group list -f csv (${sizes.groups.toLocaleString('en-US')} groups, ${sizes.memberships.toLocaleString('en-US')} memberships)`, g, 2, { rssLimit: 150 });
}

/**
 * 7. Access as code: apply of a whole file into an empty store, then plan of it (no changes),
 * against raw better-sqlite3 inserts of the same rows (on both dialects: the work to compare with).
 */
function accessCodeFigures(t: Target): void {
  const s = smoke ? ACCESS_SMOKE : ACCESS_FULL;
  const file = writeAccessFile(dir, s);
  const raw = script('access-raw', `${requireSqlite}${rawInsertScript(s)}`);
  const sqliteEmpty = () => (t.dialect === 'sqlite' ? t.fresh('empty') : join(dir, 'empty.db'));
  const size = `${s.users.toLocaleString('en-US')} users, ${s.groups.toLocaleString('en-US')} groups, ${(s.groups * s.membersPerGroup).toLocaleString('en-US')} memberships`;
  let applied = '';
  const rawRun = () => {
    const db = join(dir, `raw-${Math.random().toString(36).slice(2)}.db`);
    copyFileSync(sqliteEmpty(), db);
    return measure([NODE, raw, db]);
  };
  const apply = interleaved(HEAVY_PAIRS, rawRun, () => {
    applied = t.fresh('empty');
    return measure(cli(applied, ['-q', 'apply', '-f', file]), { env: { ACCESSCTL_ACTOR: 'bench' } });
  });
  report.record(t.dialect, `apply of a file (${size}) vs raw SQLite inserts`, apply, 5);
  const plan = interleaved(HEAVY_PAIRS, rawRun, () => measure(cli(applied, ['-q', 'plan', '-f', file])));
  report.record(t.dialect, `plan of the applied file (${size}, no changes) vs raw SQLite inserts`, plan, 5);
}

/**
 * 8. PostgreSQL: 8 writer processes at once, each creating and deleting groups, against one
 * writer doing the same total one after another. Every mutation must succeed and the chain verify.
 */
async function concurrencyFigure(t: Target): Promise<void> {
  const writers = 8;
  const each = smoke ? 3 : 25;
  const store = t.fresh('empty');
  const env = { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: NOW, ACCESSCTL_ACTOR: 'bench' };
  const job = (w: number, i: number) => ['--db', store, '-q', 'group', 'create', '-g', `w${w}-g${i}`];
  const runOne = (args: string[]) =>
    new Promise<number>((resolve) => {
      const child = spawn(NODE, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'ignore'] });
      child.on('close', (code) => resolve(code ?? -1));
    });
  const serialStart = Date.now();
  let failures = 0;
  for (let i = 0; i < writers * each; i++) if ((await runOne(job(99, i))) !== 0) failures++;
  const serialMs = Date.now() - serialStart;
  const parallelStart = Date.now();
  const codes = await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const out: number[] = [];
      for (let i = 0; i < each; i++) out.push(await runOne(job(w, i)));
      return out;
    }),
  );
  const parallelMs = Date.now() - parallelStart;
  failures += codes.flat().filter((c) => c !== 0).length;
  const verify = spawnSync(NODE, [BIN, '--db', store, '-f', 'json', 'audit', 'verify'], { encoding: 'utf8', env });
  const events = spawnSync(NODE, [BIN, '--db', store, '-f', 'ndjson', 'audit', 'list', '--action', 'group.create'], { encoding: 'utf8', env }).stdout.trim().split('\n').length;
  const total = writers * each;
  const rate = (ms: number) => `${((total / ms) * 1000).toFixed(1)} mutations/s`;
  report.add({
    dialect: t.dialect,
    figure: `${writers} concurrent writers x ${each} group creates vs 1 writer doing ${total} (each its own process)`,
    accessctl: `${fmt(parallelMs)}, ${rate(parallelMs)}`,
    baseline: `${fmt(serialMs)}, ${rate(serialMs)}`,
    ratio: `${(parallelMs / serialMs).toFixed(2)}x`,
    target: `0 failures, ${total * 2} audit events, chain verifies`,
    met: failures === 0 && events === total * 2 && verify.status === 0 ? 'yes' : `NO (${failures} failed, ${events} events, verify exit ${verify.status})`,
  });
  log(`  [postgres] concurrency: ${fmt(parallelMs)} with ${writers} writers vs ${fmt(serialMs)} serial; ${failures} failures; verify ${verify.status}`);
}

function printTable(): void {
  report.print();
  log(`interleaved medians: ${PAIRS} pairs for single calls, ${HEAVY_PAIRS} for bulk work, ${IMPORT_PAIRS} for the import; peak RSS from ${hasTime ? '/usr/bin/time' : '(unavailable)'}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
}

main()
  .catch((err: Error) => {
    log(`bench failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
