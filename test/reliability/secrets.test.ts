import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateToken } from '../../src/cli/commands/key/authenticate.js';
import type { Ctx } from '../../src/cli/context.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { newToken } from '../../src/domain/tokens.js';
import { fixedClock } from '../../src/domain/time.js';
import { ImmediateSqliteDialect } from '../../src/store/sqlite/dialect.js';
import type { Database } from '../../src/store/tables.js';
import { harness } from '../helpers/harness.js';
import { BIN, cli, ROOT } from '../helpers/spawn.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('permissions', () => {
  it('store, WAL and backup are 0600 in a 0700 directory under umask 000', () => {
    const home = join(dir, 'home');
    const run = (args: string) =>
      spawnSync('sh', ['-c', `umask 000 && '${process.execPath}' '${BIN}' ${args}`], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ACCESSCTL_HOME: home } });
    expect(run('user create -e ada@example.com').status).toBe(0);
    const backup = join(home, 'backup.db');
    const b = run(`-f json db backup '${backup}'`);
    expect(b.status, b.stderr).toBe(0);
    const modes = {
      dir: statSync(home).mode & 0o777,
      store: statSync(join(home, 'default.db')).mode & 0o777,
      backup: statSync(backup).mode & 0o777,
    };
    expect(modes).toEqual({ dir: 0o700, store: 0o600, backup: 0o600 });
    // The backup is a working store with the same data.
    expect(JSON.parse(cli(['--db', backup, '-f', 'json', 'user', 'list']).stdout)[0].email).toBe('ada@example.com');
    expect(run(`db backup '${backup}'`).status).toBe(4);
    console.log(`[figure] permissions under umask 000: directory ${modes.dir.toString(8)}, store ${modes.store.toString(8)}, backup ${modes.backup.toString(8)}`);
  });
});

describe('no token where it does not belong', () => {
  it('not in stderr, debug output or error messages, even when typed on the command line', () => {
    const env = { ACCESSCTL_HOME: join(dir, 'tokens'), ACCESSCTL_DEBUG: '1' };
    cli(['service', 'create', '-n', 'ci'], { env });
    const token = cli(['-q', 'key', 'create', '-i', 'ci'], { env }).stdout.trim();
    const keyId = cli(['-q', 'key', 'list'], { env }).stdout.trim();
    cli(['key', 'revoke', '-i', keyId], { env });
    const secret = token.slice(4, 36);
    const stderrs = [
      cli(['key', 'verify'], { env, stdin: token }).stderr,
      cli(['key', 'exchange'], { env, stdin: token }).stderr,
      cli(['access', 'check', '--token-stdin', '-r', 'nope'], { env, stdin: token }).stderr,
      cli(['key', 'verify', token], { env }).stderr,
      cli(['key', 'verify', `--token=${token}`], { env }).stderr,
      cli(['-f', 'json', 'key', 'verify', '--token', token], { env }).stderr,
      cli(['user', 'create', '-e', token], { env }).stderr,
      cli(['group', 'create', '-g', token, '--ttl', token], { env }).stderr,
    ];
    for (const s of stderrs) {
      expect(s).not.toContain(secret);
      expect(s.length).toBeGreaterThan(0);
    }
    const audit = cli(['-f', 'ndjson', 'audit', 'list'], { env }).stdout;
    expect(audit).not.toContain(secret);
    const wal = join(dir, 'tokens', 'default.db');
    expect(readFileSync(wal).includes(Buffer.from(secret))).toBe(false);
  });
});

describe('key verify takes one path for unknown and revoked tokens', () => {
  it('the same queries, by hash only, whatever the token', async () => {
    const h = harness();
    await h.ok(['service', 'create', '-n', 'ci']);
    const revoked = (await h.json(['key', 'create', '-i', 'ci']))[0]!.token as string;
    await h.ok(['key', 'revoke', '-i', (await h.ok(['-q', 'key', 'list'])).trim()]);
    const unknownToken = newToken('key', sequentialIds());
    const sqlite = new BetterSqlite3(h.db);
    const traced = (): { queries: string[]; ctx: Ctx } => {
      const queries: string[] = [];
      const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }), log: (e) => void queries.push(e.query.sql) });
      const ctx = {
        store: () => ({ db, sqlite, path: h.db, close: async () => {} }),
        clock: fixedClock(h.now),
        io: { stdin: Readable.from([]), stdinIsTTY: false },
      } as unknown as Ctx;
      return { queries, ctx };
    };
    const a = traced();
    const b = traced();
    const ra = await authenticateToken(a.ctx, unknownToken);
    const rb = await authenticateToken(b.ctx, revoked);
    sqlite.close();
    h.cleanup();
    expect(ra.valid).toBe(false);
    expect(rb.valid).toBe(false);
    expect(a.queries).toEqual(b.queries);
    expect(a.queries).toHaveLength(1);
    expect(a.queries[0]).toMatch(/where "k"\."token_hash" = \?/);
    expect(a.queries.join(' ')).not.toMatch(/like|substr|hint/i);
    console.log(`[figure] key verify: unknown and revoked tokens run the same ${a.queries.length} query, a lookup by SHA-256`);
  });
});
