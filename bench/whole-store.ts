/**
 * The whole-store figures (issue 27): commands that read or rebuild the whole population, each
 * with its memory bound, measured on real answers whose row counts go into the figure's name.
 *
 *  - `access list --all`: against a raw reader on the bare driver streaming every membership
 *    joined to its group's resources, and every service's direct assignment (no rule applied);
 *  - `access list --all --as-of` a moment in the middle of the log, and `access diff` over a
 *    10-event window of group creations and over the whole fixture log: against `db check`, which
 *    replays the same log (the replay time the targets are stated in), run in the same
 *    rounds (check, as-of, diff, diff, check, ...);
 *  - `export` (YAML and JSON): against a raw reader streaming every exported table in key order;
 *  - `plan -f` and `apply -f` of the exported YAML on the fixture (apply on a fresh copy each run):
 *    against the same raw reader that also parses the JSON export (reading the store and the file);
 *  - `audit checkpoint`: against `audit verify` (which walks the chain; the checkpoint need not).
 *
 * The fixture's event i of n is stamped `now - (n - i)` seconds (bench/fixture.ts), so moments
 * are chosen by position: a window that holds no event, or an answer with no rows, is reported as
 * a figure that measured nothing (met: NO), never as a fast one.
 */
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Sizes } from './fixture.js';
import type { Measured, MeasureOptions } from './measure.js';

export interface WholeStoreBench {
  dialect: 'sqlite' | 'postgres';
  /** The fixture store (read-only figures use it as it is). */
  store: string;
  /** A fresh copy of the fixture (apply writes). */
  fresh(): string;
  root: string;
  dir: string;
  node: string;
  bin: string;
  now: string;
  pairs: number;
  sizes: Sizes;
  measure: (command: string[], opts?: MeasureOptions) => Measured;
  interleavedRuns: (pairs: number, base: () => Measured, ours: () => Measured) => { base: Measured; ours: Measured };
  summarise: (samples: Measured[]) => Measured;
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, opts?: { rssLimit?: number; underMs?: number; failed?: string }) => void;
}

/** A run that outlives this is stopped and reported as not finished (the whole-log diff once ran for minutes). */
const LIMIT_MS = 600_000;

/** Newlines in a file, read in chunks (an answer can be hundreds of MB). */
function lines(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  for (let got; (got = readSync(fd, buf, 0, buf.length, null)) > 0; ) for (let i = 0; i < got; i++) if (buf[i] === 10) n++;
  closeSync(fd);
  return n;
}

/**
 * The raw reader: each query's rows streamed as JSON lines. With a second argument, the file it
 * names is read and parsed first (JSON). SQLite through better-sqlite3, PostgreSQL through pg with a cursor.
 */
function rawReader(b: WholeStoreBench, name: string, queries: string[]): string {
  const parse = `if (process.argv[3]) JSON.parse(require('node:fs').readFileSync(process.argv[3], 'utf8'));\n`;
  if (b.dialect === 'sqlite') {
    return b.script(
      `${name}-sqlite`,
      `const Database = require(${JSON.stringify(join(b.root, 'node_modules', 'better-sqlite3'))});
${parse}const db = new Database(process.argv[2], { readonly: true });
for (const sql of ${JSON.stringify(queries)}) { let out = [];
  for (const row of db.prepare(sql).iterate()) { out.push(JSON.stringify(row)); if (out.length === 1000) { process.stdout.write(out.join('\\n') + '\\n'); out = []; } }
  process.stdout.write(out.join('\\n') + '\\n'); }`,
    );
  }
  return b.script(
    `${name}-pg`,
    `const pg = require(${JSON.stringify(join(b.root, 'node_modules', 'pg'))}); pg.types.setTypeParser(20, (v) => Number(v));
const Cursor = require(${JSON.stringify(join(b.root, 'node_modules', 'pg-cursor'))});
${parse}const c = new pg.Client(process.argv[2]);
(async () => { await c.connect();
  for (const sql of ${JSON.stringify(queries)}) { const cur = c.query(new Cursor(sql));
    for (;;) { const rows = await cur.read(1000); if (rows.length === 0) break; process.stdout.write(rows.map((r) => JSON.stringify(r)).join('\\n') + '\\n'); }
    await cur.close(); }
  await c.end(); })().catch((e) => { console.error(e.message); process.exit(1); });`,
  );
}

const GRANTS = [
  'select u.email, r.name resource, g.name via, gu.expires_at, gr.expires_at from group_users gu join users u on u.id = gu.user_id join groups g on g.id = gu.group_id join group_resources gr on gr.group_id = gu.group_id join resources r on r.id = gr.resource_id order by u.email_key, r.name_key, g.name_key',
  'select s.name, r.name resource, sr.expires_at from service_resources sr join services s on s.id = sr.service_id join resources r on r.id = sr.resource_id order by s.name_key, r.name_key',
];
const EXPORTED = ['users order by email_key', 'resources order by name_key', 'groups order by name_key', 'services order by name_key', 'group_users order by group_id, user_id', 'group_resources order by group_id, resource_id', 'group_services order by group_id, service_id', 'service_resources order by service_id, resource_id'].map((t) => `select * from ${t}`);

export function wholeStoreFigures(b: WholeStoreBench): void {
  const n = b.sizes.auditEvents;
  const now = Date.parse(b.now);
  /** The moment of the fixture's event i (1-based), as bench/fixture.ts stamps it. */
  const at = (i: number) => now - (n - i) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const cli = (args: string[]) => [b.node, b.bin, '--db', b.store, ...args];
  const out = (name: string) => join(b.dir, `${b.dialect}-${name}.out`);
  const count = (name: string) => lines(out(name)) - 1; // less the CSV header
  const noun = (k: number, what: string) => `${k.toLocaleString('en-US')} ${what}`;
  /** A run that does not finish within LIMIT_MS counts as that long, with no memory figure. */
  const timed = (command: string[], opts?: MeasureOptions): Measured | null => {
    try {
      return b.measure(command, { ...opts, timeoutMs: LIMIT_MS });
    } catch (err) {
      if ((err as Error).message.includes('timed out')) return null;
      throw err;
    }
  };
  const rows = (k: number | null, what: string) => (k === null ? 'not finished' : noun(k, what));
  const empty = (k: number | null) => (k === null ? `did not finish within ${LIMIT_MS / 1000} s` : k <= 0 ? 'empty answer: nothing was measured' : undefined);

  // 1. access list --all, against the raw grants reader.
  const grants = rawReader(b, 'grants', GRANTS);
  const list = b.interleavedRuns(b.pairs, () => b.measure([b.node, grants, b.store]), () => b.measure(cli(['-f', 'csv', 'access', 'list', '--all']), { stdoutFile: out('list') }));
  const listed = count('list');
  b.record(`access list --all -f csv (${noun(listed, 'grants')}) vs a raw grants reader`, list, null, { rssLimit: 300, failed: empty(listed) });

  // 2. The point-in-time answers, in rounds with db check (the replay they are measured against).
  const mid = at(Math.floor(n / 2)) + 500;
  const first = b.sizes.users + b.sizes.resources + b.sizes.expiredGroups + 1; // the first permanent group's creation
  const windowFrom = at(first) - 500;
  const windowTo = at(first + 9) + 500;
  b.measure(cli(['-f', 'ndjson', 'audit', 'list', '--since', iso(windowFrom), '--until', iso(windowTo)]), { stdoutFile: out('window') });
  const windowEvents = lines(out('window'));
  if (windowEvents !== 10) throw new Error(`whole-store: the 10-event window ${iso(windowFrom)}..${iso(windowTo)} holds ${windowEvents} events (the fixture's times are not where bench/fixture.ts puts them)`);
  const runs = { check: [] as Measured[], asOf: [] as Array<Measured | null>, window: [] as Array<Measured | null>, whole: [] as Array<Measured | null> };
  for (let i = 0; i < b.pairs; i++) {
    runs.check.push(b.measure(cli(['-q', 'db', 'check'])));
    runs.asOf.push(timed(cli(['-f', 'csv', 'access', 'list', '--all', '--as-of', iso(mid)]), { stdoutFile: out('as-of') }));
    runs.window.push(timed(cli(['-f', 'csv', 'access', 'diff', '--from', iso(windowFrom), '--to', iso(windowTo)]), { stdoutFile: out('window-diff') }));
    runs.whole.push(timed(cli(['-f', 'csv', 'access', 'diff', '--from', iso(at(1) - 500), '--to', b.now]), { stdoutFile: out('whole-diff') }));
  }
  const check = b.summarise(runs.check);
  const pick = (xs: Array<Measured | null>) => (xs.some((x) => x === null) ? { ms: LIMIT_MS, rssMb: null } : b.summarise(xs as Measured[]));
  const asOf = runs.asOf.includes(null) ? null : count('as-of');
  b.record(`access list --all --as-of mid-log (${rows(asOf, 'grants')}) vs db check`, { base: check, ours: pick(runs.asOf) }, 2, { rssLimit: 300, failed: empty(asOf) });
  const windowed = runs.window.includes(null) ? null : count('window-diff');
  b.record(`access diff over 10 events (${rows(windowed, 'changes')}) vs db check`, { base: check, ours: pick(runs.window) }, null, { rssLimit: 300, failed: empty(windowed) });
  const whole = runs.whole.includes(null) ? null : count('whole-diff');
  b.record(`access diff over the whole log (${noun(n, 'events')}, ${rows(whole, 'changes')}) vs db check`, { base: check, ours: pick(runs.whole) }, 2, { rssLimit: 300, failed: empty(whole) });

  // 3. export, YAML and JSON, against the raw reader of the exported tables.
  const reader = rawReader(b, 'export', EXPORTED);
  for (const format of ['yaml', 'json']) {
    const m = b.interleavedRuns(b.pairs, () => b.measure([b.node, reader, b.store]), () => b.measure(cli(['export', '-f', format]), { stdoutFile: out(`export.${format}`) }));
    const size = lines(out(`export.${format}`));
    b.record(`export -f ${format} (${noun(size, 'lines')}) vs a raw reader of the exported tables`, m, null, { rssLimit: 300, failed: size === 0 ? 'empty answer: nothing was measured' : undefined });
  }

  // 4. plan and apply of the exported YAML on the fixture: the store read, the file read and compared.
  const file = out('export.yaml');
  const base = () => b.measure([b.node, reader, b.store, out('export.json')]);
  const plan = b.interleavedRuns(b.pairs, base, () => b.measure(cli(['-q', 'plan', '-f', file])));
  b.record('plan -f of the exported YAML on the fixture vs a raw reader of the tables and the JSON export', plan, null, { rssLimit: 1024, underMs: 60_000 });
  let copy = '';
  const apply = b.interleavedRuns(b.pairs, base, () => {
    if (copy !== '' && !copy.includes('://')) for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
    copy = b.fresh();
    return b.measure([b.node, b.bin, '--db', copy, '-q', 'apply', '-f', file], { env: { ACCESSCTL_ACTOR: 'bench' } });
  });
  b.record('apply -f of the exported YAML on a fresh copy of the fixture vs a raw reader of the tables and the JSON export', apply, null, { rssLimit: 1024, underMs: 60_000 });

  // 5. audit checkpoint: the head, against the walk of the whole chain.
  const cp = b.interleavedRuns(b.pairs, () => b.measure(cli(['-q', 'audit', 'verify'])), () => b.measure(cli(['audit', 'checkpoint'])));
  b.record(`audit checkpoint vs audit verify (${noun(n, 'events')})`, cp, null);
}
