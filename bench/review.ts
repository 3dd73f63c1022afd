/**
 * The access review figure (docs/reviews.md): `review start --all` on the fixture store, which
 * freezes every grant (1,000,000 memberships at full size, and the services' direct assignments)
 * as numbered items in one transaction, with their audit events. The bound that matters is
 * memory: the population is read in keyset pages and written as it is read, never held whole.
 *
 * The baseline is a raw loop on better-sqlite3 doing the same reads and writes in one
 * transaction: one query per kind of grant, in item order (the same rule: subject ACTIVE, group
 * active and unexpired, link and assignment unexpired, resource active), each grant inserted as a
 * review_items row. What it does not replicate: the audit events (one per 1,000 items, canonical
 * JSON hashed into the chain), each group's `gives` computed as a list (it takes the group's
 * resources as one grouped string), and PostgreSQL. Its item count is checked against accessctl's
 * once per run.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { median, type Measured } from './measure.js';

export interface ReviewBench {
  fresh(): string;
  root: string;
  node: string;
  bin: string;
  now: string;
  pairs: number;
  measure: (command: string[]) => Measured;
  script: (name: string, body: string) => string;
  record: (figure: string, m: { base: Measured; ours: Measured }, target: number | null, rssLimit?: number) => void;
}

/** The raw loop; prints the number of items it wrote. */
function rawFreeze(root: string, now: number): string {
  return String.raw`const Database = require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});
const db = new Database(process.argv[2]);
const now = ${now};
const id = 'rev_' + 'x'.repeat(16);
let n = 0;
db.transaction(() => {
  db.prepare("insert into reviews (id, name, scope, scope_id, scope_name, state, reviewers_group, due_at, frozen_at, frozen_seq, frozen_hash, items, decided, started_by, closed_at, closed_seq, closed_by, created_at, updated_at) values (?, 'raw', 'all', null, null, 'OPEN', null, null, ?, 0, '', 0, 0, 'raw', null, null, null, ?, ?)").run(id, now, now, now);
  // better-sqlite3 cannot write while a statement iterates: each kind is one INSERT ... SELECT,
  // numbered in item order by row_number(), after the items already written.
  const cols = 'review_id, item, kind, owner_id, owner_name, subject_type, subject_id, subject_name, starts_at, expires_at, link_created_at, gives';
  const gives = "(select group_concat(r.id || ':' || r.name, ';') from group_resources a join resources r on r.id = a.resource_id where a.group_id = g.id and r.is_active = 1 and (a.expires_at is null or a.expires_at > " + now + "))";
  const live = "g.is_active = 1 and (g.expires_at is null or g.expires_at > " + now + ") and (m.expires_at is null or m.expires_at > " + now + ")";
  const memberships = (kind, type, links, subjects, key, name, starts, active, order) =>
    "insert into review_items (" + cols + ") select ?, ? + row_number() over (order by g.name, g.id, " + order + "), '" + kind + "', g.id, g.name, '" + type + "', " + key + ", " + name + ", " + starts + ", m.expires_at, m.created_at, " + gives +
    " from " + links + " m join groups g on g.id = m.group_id join " + subjects + " where " + active + " and " + live + " and " + gives + " is not null";
  n += db.prepare(memberships('group_user', 'user', 'group_users', 'users u on u.id = m.user_id', 'u.id', 'u.email', 'm.starts_at', "u.state = 'ACTIVE'", 'u.email, u.id')).run(id, n).changes;
  n += db.prepare(memberships('group_service', 'service', 'group_services', 'services s on s.id = m.service_id', 's.id', 's.name', 'null', "s.state = 'ACTIVE'", 's.name, s.id')).run(id, n).changes;
  const direct = "from service_resources a join services s on s.id = a.service_id join resources r on r.id = a.resource_id where s.state = 'ACTIVE' and r.is_active = 1 and (a.expires_at is null or a.expires_at > " + now + ")";
  n += db.prepare("insert into review_items (" + cols + ") select ?, ? + row_number() over (order by s.name, s.id, r.name, r.id), 'service_resource', s.id, s.name, 'service', s.id, s.name, null, a.expires_at, a.created_at, r.id || ':' || r.name " + direct).run(id, n).changes;
  db.prepare('update reviews set items = ? where id = ?').run(n, id);
})();
process.stdout.write(n + '\n');
`;
}

const summary = (samples: Measured[]): Measured => ({
  ms: median(samples.map((s) => s.ms)),
  rssMb: samples[0]!.rssMb === null ? null : Math.max(...samples.map((s) => s.rssMb!)),
});

/** Each run freezes into a fresh copy of the fixture, so every run does the same work. */
export function reviewFigure(b: ReviewBench): void {
  const raw = b.script('review-raw', rawFreeze(b.root, Date.parse(b.now)));
  const env = { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: b.now };
  // Not timed: both froze the same population.
  const gone = (store: string) => ['', '-wal', '-shm'].forEach((x) => rmSync(store + x, { force: true }));
  const once = <T>(run: (store: string) => T): T => {
    const store = b.fresh();
    try {
      return run(store);
    } finally {
      gone(store);
    }
  };
  const theirs = once((store) => spawnSync(b.node, [raw, store], { encoding: 'utf8', env }));
  const ours = once((store) => spawnSync(b.node, [b.bin, '--db', store, '-f', 'json', 'review', 'start', '--all'], { encoding: 'utf8', env, maxBuffer: 1 << 24 }));
  const items = ours.status === 0 ? (JSON.parse(ours.stdout) as Array<{ items: number }>)[0]!.items : null;
  if (theirs.status !== 0 || items === null || Number(theirs.stdout.trim()) !== items) {
    throw new Error(`review start: the raw loop and accessctl disagree on the fixture (raw: ${theirs.stdout.trim() || theirs.stderr.slice(0, 300)}; accessctl exit ${ours.status}: ${items ?? ours.stderr.slice(0, 300)})`);
  }
  const rawRuns: Measured[] = [];
  const ourRuns: Measured[] = [];
  for (let i = 0; i < b.pairs; i++) {
    rawRuns.push(once((store) => b.measure([b.node, raw, store])));
    ourRuns.push(once((store) => b.measure([b.node, b.bin, '--db', store, '-q', 'review', 'start', '--all'])));
  }
  b.record(`review start --all (${items.toLocaleString('en-US')} grants frozen) vs a raw better-sqlite3 freeze`, { base: summary(rawRuns), ours: summary(ourRuns) }, null, 300);
}
