import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, psql } from '../helpers/pg-cluster.js';
import { BIN, cli, ROOT } from '../helpers/spawn.js';

/**
 * The resident gate on PostgreSQL (SPEC section 17), as docs/gates.md runs it: `accessctl serve`
 * connected as the reader role `db grant --reader` made, so the gate can read and nothing else;
 * the operator's changes (as the owner) are seen by the next request.
 */
const base = inject('pgUrl');
const reader = `gate_serve_${process.pid}`;
let url = '';
let dir = '';
let gate: ChildProcess | null = null;

const as = (role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};
const op = (args: string[]) => {
  const r = cli(['--db', url, ...args], { env: { ACCESSCTL_ACTOR: 'owner' } });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
};

beforeAll(() => {
  url = createDatabase(base);
  psql(url, `create role ${reader} login`);
  op(['user', 'create', '-e', 'ada@example.com']);
  op(['resource', 'create', '-n', 'host-a', '-a', 'host-a.internal']);
  op(['group', 'create', '-g', 'ops', '-u', 'ada@example.com', '-r', 'host-a']);
  op(['service', 'create', '-n', 'ci', '-r', 'host-a']);
  op(['db', 'grant', '--reader', reader, '--apply']);
  dir = mkdtempSync(join(tmpdir(), 'accessctl-pg-serve-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  gate?.kill('SIGKILL');
  dropDatabase(url);
  psql(base, `drop role if exists ${reader}`);
  rmSync(dir, { recursive: true, force: true });
});

describe('accessctl serve on PostgreSQL, as a reader role', () => {
  it('answers, sees the operator\'s revocation at once, records no key use, stops cleanly', async () => {
    const socket = join(dir, 'gate.sock');
    gate = spawn(process.execPath, [BIN, 'serve', '--socket', socket], { env: { PATH: process.env.PATH ?? '', HOME: dir, ACCESSCTL_DB: as(reader) }, cwd: ROOT });
    let log = '';
    const stopped = new Promise<number | null>((done) => gate!.on('close', (code) => done(code)));
    await new Promise<void>((ready, fail) => {
      gate!.stderr!.on('data', (d) => {
        log += d;
        if (log.includes('listening on')) ready();
      });
      void stopped.then((code) => fail(new Error(`serve exited ${code}: ${log}`)));
    });
    const ask = (args: string[], stdin = '') => cli(['access', 'check', '--socket', socket, ...args], { stdin });
    expect(ask(['--user', 'ada@example.com', '-r', 'host-a']).code).toBe(0);
    const token = op(['-q', 'key', 'create', '-i', 'ci']);
    const byToken = ask(['--token-stdin', '-r', 'host-a'], `${token}\n`);
    expect(byToken.code, byToken.stderr).toBe(0);
    op(['group', 'remove-users', '-g', 'ops', '-u', 'ada@example.com']);
    const after = ask(['--user', 'ada@example.com', '-r', 'host-a']);
    expect(after.code).toBe(5);
    expect(after.stderr).toMatch(/access denied: no grant/);
    gate.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(log).not.toContain(token);
    expect(log).not.toMatch(/Warning|deprecat/i);
    // The reader wrote nothing: the key's use is not recorded, and the log has no event of the gate's.
    const keys = JSON.parse(op(['-f', 'json', 'key', 'list', '--service', 'ci'])) as Array<{ lastUsedAt: string | null }>;
    expect(keys[0]!.lastUsedAt).toBeNull();
    expect(op(['-f', 'json', 'audit', 'list'])).not.toContain(reader);
  }, 120_000);
});
