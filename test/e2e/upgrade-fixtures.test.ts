import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { cliAsync, ROOT } from '../helpers/spawn.js';

const cli = cliAsync;

// Stores written by earlier releases of this repository (test/fixtures/upgrade/build-fixture.sh
// says how each was made): reads answer from them without changing a byte, `db migrate` upgrades
// them, the chain verifies, the old tokens work, and --as-of before the upgrade is refused.
const FIXTURES = [
  // The first release with a store (schema 1, audit event ids UNIQUE).
  { name: 'schema1-first', version: 1 },
  // The last schema 1 release (no index on event ids).
  { name: 'schema1', version: 1 },
  // The first schema 2 release.
  { name: 'schema2-first', version: 2 },
  // The first release's store, upgraded by the first schema 2 release: the unique index stayed.
  { name: 'schema1-first-upgraded-by-schema2', version: 2 },
  // The last schema 3 release (9165db9), before access requests.
  { name: 'schema3', version: 3 },
] as const;

const dir = mkdtempSync(join(tmpdir(), 'accessctl-upgrade-'));
chmodSync(dir, 0o700);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const userVersion = (file: string) => {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

/**
 * Rows of the tables a migration rebuilds (groups in schema 3; users, groups and group_users in 4)
 * and of those that reference them: a rebuild must keep every row and cascade to none.
 */
const groupLinks = (file: string) => {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return ['users', 'groups', 'group_users', 'group_resources', 'group_services'].map((t) => (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
};

function fixture(name: string): { store: string; tokens: Record<string, string> } {
  const store = join(dir, `${name}.db`);
  copyFileSync(join(ROOT, 'test/fixtures/upgrade', `${name}.sqlite`), store);
  chmodSync(store, 0o600);
  const tokens = Object.fromEntries(
    readFileSync(join(ROOT, 'test/fixtures/upgrade', `${name}.tokens`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  return { store, tokens };
}

const READS: string[][] = [
  ['user', 'list'],
  ['resource', 'list'],
  ['group', 'list'],
  ['service', 'list'],
  ['key', 'list'],
  ['key', 'report'],
  ['access', 'list', '--all'],
  ['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db', '--port', '5432'],
  ['audit', 'list'],
  ['audit', 'verify'],
  ['audit', 'checkpoint'],
  ['config', 'list'],
  ['export'],
];

describe.each(FIXTURES)('a store written by an earlier release: $name', ({ name, version }) => {
  const leftover = name === 'schema1-first-upgraded-by-schema2';

  it('reads answer without changing a byte; db migrate upgrades it; chain, replay and tokens hold', async () => {
    const { store, tokens } = fixture(name);
    const before = sha(store);
    const checkpoint = await cli(['--db', store, 'audit', 'checkpoint']);
    if (leftover) {
      // The first release's unique index is named, and db migrate is the way out.
      expect(checkpoint.code).toBe(6);
      expect(checkpoint.stderr).toContain('table audit_events differs from schema 2');
      expect(checkpoint.stderr).toContain('accessctl db migrate');
    } else {
      expect(checkpoint.code, checkpoint.stderr).toBe(0);
      for (const args of READS) {
        const r = await cli(['--db', store, ...args]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      }
      expect(sha(store)).toBe(before);
      expect(userVersion(store)).toBe(version);
    }
    if (version === 1) {
      // A read that needs the replayable log cannot answer from it unmigrated.
      const asOf = await cli(['--db', store, 'access', 'list', '--all', '--as-of', new Date().toISOString()]);
      expect(asOf.code).toBe(6);
      expect(asOf.stderr).toContain('accessctl db migrate');
      const check = await cli(['--db', store, 'db', 'check']);
      expect(check.code).toBe(6);
      expect(check.stderr).toContain('accessctl db migrate');
      expect(sha(store)).toBe(before);
    }

    const links = groupLinks(store);
    expect(links.some((n) => n > 0)).toBe(true);
    const migrate = await cli(['--db', store, '-f', 'json', 'db', 'migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain(`migrated from schema ${version} to 4`);
    if (name.startsWith('schema1-first')) expect(migrate.stdout).toContain('unique index on event ids');
    expect(userVersion(store)).toBe(4);
    expect(groupLinks(store)).toEqual(links);
    const again = await cli(['--db', store, '-f', 'json', 'db', 'migrate']);
    expect(again.stdout).toContain('already at schema 4');
    expect(again.stdout).not.toContain('repaired');

    // The old checkpoint (taken before the upgrade) still verifies against the upgraded chain.
    if (!leftover) {
      const file = join(dir, `${name}.checkpoints`);
      writeFileSync(file, checkpoint.stdout);
      const verify = await cli(['--db', store, 'audit', 'verify', '--checkpoint', file]);
      expect(verify.code, verify.stderr).toBe(0);
    }
    const check = await cli(['--db', store, 'db', 'check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    for (const args of READS.slice(0, 8)) expect((await cli(['--db', store, ...args])).code, args.join(' ')).toBe(0);

    // The token issued by the old release still works; the one it revoked still does not.
    const good = await cli(['--db', store, 'access', 'check', '--token-stdin', '-r', 'artifact-store', '--port', '443'], { stdin: `${tokens.deploy}\n` });
    expect(good.code, good.stderr).toBe(0);
    const revoked = await cli(['--db', store, 'access', 'check', '--token-stdin', '-r', 'artifact-store', '--port', '443'], { stdin: `${tokens.old}\n` });
    expect(revoked.code).toBe(5);
    expect(revoked.stderr).toContain('REVOKED');
    // And the store takes writes.
    expect((await cli(['--db', store, 'user', 'create', '-e', 'new@example.com'])).code).toBe(0);
    expect((await cli(['--db', store, 'db', 'check'])).code).toBe(0);
  }, 240_000);

  it.runIf(version === 1)('after the upgrade, --as-of and access diff before the migration snapshot are refused, naming its seq and time', async () => {
    const { store } = fixture(name);
    expect((await cli(['--db', store, 'db', 'migrate'])).code).toBe(0);
    const events = JSON.parse((await cli(['--db', store, '-f', 'json', 'audit', 'list'])).stdout) as Array<{ seq: number; at: string; action: string }>;
    const snapshot = events.find((e) => e.action === 'store.migrate')!;
    const before = new Date(Date.parse(snapshot.at) - 60_000).toISOString();
    for (const args of [
      ['access', 'list', '--all', '--as-of', before],
      ['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db', '--as-of', before],
      ['access', 'diff', '--from', before],
    ]) {
      const r = await cli(['--db', store, ...args]);
      expect(r.code, args.join(' ')).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`migrated at seq ${snapshot.seq} (${snapshot.at})`);
    }
    // At the snapshot's time and after, the answer comes from the snapshot: Ada reaches prod-db.
    const at = await cli(['--db', store, '-f', 'json', 'access', 'list', '--all', '--as-of', snapshot.at]);
    expect(at.code, at.stderr).toBe(0);
    expect(at.stdout).toContain('ada@example.com');
    expect((await cli(['--db', store, 'access', 'diff', '--from', snapshot.at])).code).toBe(0);
  }, 120_000);
});
