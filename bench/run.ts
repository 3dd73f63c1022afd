/**
 * accessctl performance: each figure against a baseline measured in the same run, printed as
 * ratios. Not part of `npm test` (no timed assertions there); `npm run bench -- --smoke` runs a
 * tiny version of it, and the test suite runs that so this file cannot rot.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixture, FULL, SMOKE } from './fixture.js';
import { ACCESS_FULL, ACCESS_SMOKE, rawInsertScript, writeAccessFile } from './access-code.js';

const smoke = process.argv.includes('--smoke');
/** `--only replay` (the full fixture is still built) or `--only access-code` (needs no fixture): just that figure. */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const sizes = smoke ? SMOKE : FULL;
const RUNS = smoke ? 3 : 15;
// Bundled to bench/dist/run.mjs: the project root is two levels up.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl');
const NODE = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'accessctl-bench-'));
const NOW = '2026-11-22T23:00:00.000Z';
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Sample {
  ms: number;
  rssMb: number | null;
}

const hasTime = existsSync('/usr/bin/time');

/** One whole process: wall time, and peak RSS from /usr/bin/time when it is there. */
function measure(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Sample {
  const rssFile = join(dir, 'rss');
  const command = hasTime ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv] : argv;
  const start = process.hrtime.bigint();
  const r = spawnSync(command[0]!, command.slice(1), {
    input: opts.stdin ?? '',
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: NOW, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && !(r.status === 5 && argv.includes('check'))) {
    throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
  }
  const rssMb = hasTime ? Number(spawnSync('cat', [rssFile], { encoding: 'utf8' }).stdout.trim()) / 1024 : null;
  return { ms, rssMb };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function repeat(runs: number, fn: () => Sample): { ms: number; rssMb: number | null } {
  const samples = Array.from({ length: runs }, fn);
  return { ms: median(samples.map((s) => s.ms)), rssMb: samples[0]!.rssMb === null ? null : Math.max(...samples.map((s) => s.rssMb!)) };
}

interface Row {
  figure: string;
  accessctl: string;
  baseline: string;
  ratio: number;
  target: string;
  met: boolean;
}
const rows: Row[] = [];
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

function record(figure: string, ours: { ms: number; rssMb?: number | null }, base: { ms: number }, targetRatio: number, rssLimit?: number) {
  const ratio = ours.ms / base.ms;
  const rssOk = rssLimit === undefined || ours.rssMb === null || ours.rssMb === undefined || ours.rssMb <= rssLimit;
  rows.push({
    figure,
    accessctl: `${fmt(ours.ms)}${ours.rssMb ? `, ${ours.rssMb.toFixed(0)} MB peak` : ''}`,
    baseline: fmt(base.ms),
    ratio: Math.round(ratio * 100) / 100,
    target: `<= ${targetRatio}${rssLimit ? `, <= ${rssLimit} MB` : ''}`,
    met: ratio <= targetRatio && rssOk,
  });
  log(`  ${figure}: ${fmt(ours.ms)} vs ${fmt(base.ms)} = ${ratio.toFixed(2)}x`);
}

/** A small node program using raw better-sqlite3, run as its own process like the CLI is. */
function rawScript(name: string, body: string): string {
  const file = join(dir, `${name}.cjs`);
  writeFileSync(file, `const Database = require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});\n${body}\n`);
  return file;
}

function freshEmptyStore(emptyTemplate: string): string {
  const db = join(dir, `s-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(emptyTemplate, db);
  return db;
}

async function main(): Promise<void> {
  log(`accessctl bench (${smoke ? 'smoke' : 'full'}): ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  const empty = join(dir, 'empty.db');
  // A bench store is a test store: it opts in to ACCESSCTL_NOW (with the machine's clock), then
  // the fixture's own audit chain is written after that first event.
  const init = spawnSync(NODE, [BIN, '--db', empty, 'db', 'init', '--allow-clock-override'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (init.status !== 0) throw new Error(init.stderr);
  if (only !== 'access-code') await fixtureFigures(empty);
  if (only === undefined || only === 'access-code') accessCodeFigures(empty);
  printTable();
}

/** 6. Access as code: apply of a whole file into an empty store, then plan of it (no changes). */
function accessCodeFigures(empty: string): void {
  const s = smoke ? ACCESS_SMOKE : ACCESS_FULL;
  const file = writeAccessFile(dir, s);
  const runs = smoke ? 1 : 3;
  const raw = rawScript('access-raw', rawInsertScript(s));
  const rawInsert = repeat(runs, () => measure([NODE, raw, freshEmptyStore(empty)]));
  let applied = '';
  const apply = repeat(runs, () => {
    applied = freshEmptyStore(empty);
    return measure([NODE, BIN, '--db', applied, '-q', 'apply', '-f', file], { env: { ACCESSCTL_ACTOR: 'bench' } });
  });
  const size = `${s.users.toLocaleString('en-US')} users, ${s.groups.toLocaleString('en-US')} groups, ${(s.groups * s.membersPerGroup).toLocaleString('en-US')} memberships`;
  record(`apply of a file (${size})`, apply, rawInsert, 5);
  const plan = repeat(runs, () => measure([NODE, BIN, '--db', applied, '-q', 'plan', '-f', file]));
  record(`plan of the applied file (${size}, no changes)`, plan, rawInsert, 5);
}

async function fixtureFigures(empty: string): Promise<void> {
  const template = join(dir, 'template.db');
  copyFileSync(empty, template);
  const started = Date.now();
  const fx = buildFixture(template, sizes, Date.parse(NOW));
  log(`  fixture: ${Object.entries(sizes).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const store = join(dir, 'store.db');
  copyFileSync(template, store);

  if (only === undefined) await figuresOneToFour(store, empty, template, fx);
  if (only === undefined || only === 'replay') replayFigure(store);
}

async function figuresOneToFour(store: string, empty: string, template: string, fx: ReturnType<typeof buildFixture>): Promise<void> {
  // 1. One CLI call against bare node start-up.
  const bare = repeat(RUNS, () => measure([NODE, '-e', '0']));
  for (const [label, argv, stdin] of [
    ['group show -i', ['group', 'show', '-i', fx.groupId], undefined],
    ['access check --user', ['access', 'check', '--user', fx.userEmail, '-r', fx.resourceName], undefined],
    ['access check --token-stdin', ['access', 'check', '--token-stdin', '-r', 'res-0'], fx.token],
  ] as const) {
    const ours = repeat(RUNS, () => measure([NODE, BIN, '--db', store, '-f', 'csv', ...argv], { stdin }));
    record(`one call: ${label}`, ours, bare, 1.5);
  }

  // 2. user import against raw prepared inserts of the same rows in one transaction.
  const n = sizes.users;
  const csv = join(dir, 'import.csv');
  const lines = ['email,firstName,lastName,role'];
  for (let i = 0; i < n; i++) lines.push(`import${i}@example.com,First,Last${i},MEMBER`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const heavyRuns = smoke ? 1 : 3;
  const rawImport = rawScript(
    'import',
    `const db = new Database(process.argv[2]); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
const text = require('fs').readFileSync(process.argv[3], 'utf8').trim().split('\\n').slice(1);
const insert = db.prepare("insert into users values (?, ?, ?, ?, ?, 'MEMBER', 'ACTIVE', 'MANUAL', ?, ?)");
const now = Date.now();
// The same rows accessctl writes: random 16-character base62 ids, not sequential ones.
const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const id = () => { let s = 'usr_'; for (const b of require('crypto').randomBytes(16)) s += A[b % 62]; return s; };
db.transaction(() => { for (const line of text) { const [email, first, last] = line.split(','); insert.run(id(), email, email.toLowerCase(), first, last, now, now); } })();
db.close();`,
  );
  const importOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', freshEmptyStore(empty), '-q', 'user', 'import', csv]));
  const importRaw = repeat(heavyRuns, () => measure([NODE, rawImport, freshEmptyStore(empty), csv]));
  record(`user import of ${n.toLocaleString('en-US')} rows`, importOurs, importRaw, 3);

  // 3. sweep of the expired groups and their memberships against the equivalent raw DELETEs.
  const rawSweep = rawScript(
    'sweep',
    `const db = new Database(process.argv[2]); db.pragma('foreign_keys = ON'); db.pragma('synchronous = FULL');
const now = Date.parse(${JSON.stringify(NOW)});
db.transaction(() => { db.prepare('delete from groups where expires_at is not null and expires_at <= ?').run(now); })();
db.close();`,
  );
  const copy = () => {
    const db = join(dir, `sweep-${Math.random().toString(36).slice(2)}.db`);
    copyFileSync(template, db);
    return db;
  };
  const sweepOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', copy(), '-q', 'sweep']));
  const sweepRaw = repeat(heavyRuns, () => measure([NODE, rawSweep, copy()]));
  record(`sweep of ${sizes.expiredGroups.toLocaleString('en-US')} expired groups (${(sizes.expiredGroups * Math.ceil(sizes.memberships / sizes.groups)).toLocaleString('en-US')} memberships)`, sweepOurs, sweepRaw, 2);

  // 4. Whole-store lists, streamed: time and peak memory against iterate() + JSON.stringify.
  const rawAudit = rawScript(
    'audit',
    `const db = new Database(process.argv[2]); let out = [];
for (const row of db.prepare('select * from audit_events order by seq').iterate()) { out.push(JSON.stringify(row)); if (out.length === 1000) { process.stdout.write(out.join('\\n') + '\\n'); out = []; } }
process.stdout.write(out.join('\\n') + '\\n');`,
  );
  const auditOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', store, '-f', 'ndjson', 'audit', 'list']));
  const auditRaw = repeat(heavyRuns, () => measure([NODE, rawAudit, store]));
  record(`audit list -f ndjson (${sizes.auditEvents.toLocaleString('en-US')} events)`, auditOurs, auditRaw, 2, 150);
  const rawGroups = rawScript(
    'groups',
    `const db = new Database(process.argv[2]); let out = [];
const sql = "select g.*, (select group_concat(user_id, ';') from group_users where group_id = g.id) users, (select group_concat(resource_id, ';') from group_resources where group_id = g.id) resources from groups g order by g.id";
for (const row of db.prepare(sql).iterate()) { out.push(JSON.stringify(row)); if (out.length === 100) { process.stdout.write(out.join('\\n') + '\\n'); out = []; } }
process.stdout.write(out.join('\\n') + '\\n');`,
  );
  const groupsOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', store, '-f', 'csv', 'group', 'list']));
  const groupsRaw = repeat(heavyRuns, () => measure([NODE, rawGroups, store]));
  record(`group list -f csv (${sizes.groups.toLocaleString('en-US')} groups, ${sizes.memberships.toLocaleString('en-US')} memberships)`, groupsOurs, groupsRaw, 2, 150);
}

function replayFigure(store: string): void {
  const heavyRuns = smoke ? 1 : 3;
  // 5. db check replays the whole log and compares it with the tables: against audit verify,
  // which walks the same chain without replaying it.
  const verifyOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', store, '-q', 'audit', 'verify']));
  const checkOurs = repeat(heavyRuns, () => measure([NODE, BIN, '--db', store, '-q', 'db', 'check']));
  record(`db check replay vs audit verify (${sizes.auditEvents.toLocaleString('en-US')} events)`, checkOurs, verifyOurs, 3);
}

function printTable(): void {
  const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
  const cols: Array<keyof Row> = ['figure', 'accessctl', 'baseline', 'ratio', 'target', 'met'];
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width(cols[i]!))).join(' | ')} |`;
  const table = [line(cols), `|${cols.map((c) => '-'.repeat(width(c) + 2)).join('|')}|`, ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
  process.stdout.write(`${table}\n`);
  log(`medians of ${RUNS} runs for single calls, ${smoke ? 1 : 3} for bulk work; peak RSS from ${hasTime ? '/usr/bin/time' : '(unavailable)'}`);
}

main()
  .catch((err: Error) => {
    log(`bench failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
