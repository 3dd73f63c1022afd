import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT } from '../helpers/spawn.js';
import { DIALECT, e2eStore, removeE2eStore } from '../helpers/e2e-store.js';
import { psql } from '../helpers/pg-cluster.js';

// SPEC §5 "A secret is delivered before it exists": the token is written to stdout inside the
// transaction, and a write that fails leaves nothing created and nothing revoked.

let dir: string;
let db: string;
let token: string;
let keyId: string;
const env = () => ({ ACCESSCTL_DB: db });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-delivery-'));
  db = e2eStore(dir);
  expect(cli(['service', 'create', '-n', 'ci'], { env: env() }).code).toBe(0);
  token = cli(['-q', 'key', 'create', '-i', 'ci', '-n', 'deploy'], { env: env() }).stdout.trim();
  keyId = cli(['-q', 'key', 'list'], { env: env() }).stdout.trim();
  expect(token).toMatch(/^ack_/);
  expect(keyId).toMatch(/^key_/);
});
afterAll(() => {
  removeE2eStore(db);
  rmSync(dir, { recursive: true, force: true });
});

/** stdout: a pipe whose reader has already gone (every write is EPIPE), or /dev/full (ENOSPC). */
function closedPipe(): number {
  const fifo = join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  return writer;
}

function runWithStdout(fd: number, args: string[], stdin = ''): { code: number; stdout: string; stderr: string } {
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ACCESSCTL_DB: db, ACCESSCTL_ACTOR: 'e2e' },
      input: stdin,
      stdio: ['pipe', fd, 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: '', stderr: r.stderr };
  } finally {
    closeSync(fd);
  }
}

/** What the store holds, read behind accessctl's back. */
function state() {
  if (DIALECT === 'postgres') {
    const keys = "(select coalesce(json_agg(k order by k.id), '[]') from (select id, name, revoked_at, expires_at from service_keys) k)";
    return psql(db, `select json_build_object('keys', ${keys}, 'tokens', (select count(*) from exchange_tokens), 'events', (select count(*) from audit_events))::text`);
  }
  const raw = new BetterSqlite3(db, { readonly: true });
  try {
    return {
      keys: raw.prepare('SELECT id, name, revoked_at, expires_at FROM service_keys ORDER BY id').all(),
      tokens: (raw.prepare('SELECT count(*) AS n FROM exchange_tokens').get() as { n: number }).n,
      events: (raw.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n,
    };
  } finally {
    raw.close();
  }
}

const sinks: Array<[string, () => number, RegExp]> = [
  ['a pipe whose reader has gone', closedPipe, /the reader has gone \(EPIPE\)/],
  ['/dev/full', () => openSync('/dev/full', 'w'), /the disk is full \(ENOSPC\)/],
  // Thrown away, the token is lost just the same: a rotation would lock the service out.
  ['/dev/null', () => openSync('/dev/null', 'w'), /it is closed or \/dev\/null/],
];

const commands: Array<[string, string[], () => string]> = [
  ['key create', ['key', 'create', '-i', 'ci', '-n', 'second'], () => ''],
  ['key rotate', ['key', 'rotate', '-i', 'KEY'], () => ''],
  ['key rotate --overlap', ['key', 'rotate', '-i', 'KEY', '--overlap', '1h'], () => ''],
  ['key exchange', ['key', 'exchange'], () => token],
];

describe('a token that cannot be delivered never exists', () => {
  for (const [sinkName, sink, why] of sinks) {
    for (const [name, args, stdin] of commands) {
      for (const format of [['-q'], ['-f', 'json'], []]) {
        it(`${name} ${format.join(' ')} to ${sinkName}: exit 1, one line on stderr, nothing created or revoked, no audit event`, () => {
          if (sinkName === '/dev/full' && !existsSync('/dev/full')) return;
          const before = state();
          const r = runWithStdout(sink(), [...format, ...args.map((a) => (a === 'KEY' ? keyId : a))], stdin());
          expect(r.code, r.stderr).toBe(1);
          const lines = r.stderr.trimEnd().split('\n');
          expect(lines).toHaveLength(1);
          const message = format[1] === 'json' ? (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error : { code: 'NOT_DELIVERED', message: lines[0]! };
          expect(message.code).toBe('NOT_DELIVERED');
          expect(message.message).toMatch(/cannot write the token to stdout: /);
          expect(message.message).toMatch(why);
          expect(message.message).toMatch(/nothing was created or revoked/);
          expect(state()).toEqual(before);
          // The old key still works.
          expect(cli(['key', 'verify'], { env: env(), stdin: token }).code).toBe(0);
        });
      }
    }
  }

  it('the shell form from the field: `accessctl -q key rotate -i K | (exec 0<&-; sleep 1)` fails and revokes nothing', () => {
    const before = state();
    const r = spawnSync('bash', ['-c', `'${process.execPath}' '${BIN}' -q key rotate -i ${keyId} | (exec 0<&-; sleep 1); exit \${PIPESTATUS[0]}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ACCESSCTL_DB: db },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write the token to stdout: the reader has gone \(EPIPE\)/);
    expect(state()).toEqual(before);
  });
});

describe('a closed stdout', () => {
  it('`accessctl key rotate -i K >&-` (Node reopens fd 1 on /dev/null) fails and revokes nothing', () => {
    const before = state();
    const r = spawnSync('bash', ['-c', `'${process.execPath}' '${BIN}' -q key rotate -i ${keyId} >&-`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ACCESSCTL_DB: db },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write the token to stdout: it is closed or \/dev\/null/);
    expect(state()).toEqual(before);
  });
});

describe('a token that is delivered is committed', () => {
  it('key rotate to a pipe that reads: the token alone with -q, the old key revoked, the new token valid', () => {
    const r = cli(['-q', 'key', 'rotate', '-i', keyId], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ack_[0-9A-Za-z]+\n$/);
    expect(cli(['key', 'verify'], { env: env(), stdin: token }).code).toBe(5);
    expect(cli(['key', 'verify'], { env: env(), stdin: r.stdout }).code).toBe(0);
    token = r.stdout.trim();
  });

  it('key exchange and key create in csv, ndjson and table: each prints its token once and it works', () => {
    const ex = cli(['-f', 'ndjson', 'key', 'exchange'], { env: env(), stdin: token });
    expect(ex.code, ex.stderr).toBe(0);
    const act = JSON.parse(ex.stdout).token as string;
    expect(act).toMatch(/^act_/);
    expect(cli(['key', 'verify'], { env: env(), stdin: act }).code).toBe(0);
    const csv = cli(['-f', 'csv', 'key', 'create', '-i', 'ci', '-n', 'csv'], { env: env() });
    expect(csv.code, csv.stderr).toBe(0);
    const header = csv.stdout.split('\n')[0]!.split(',');
    const made = csv.stdout.split('\n')[1]!.split(',')[header.indexOf('token')]!;
    expect(cli(['key', 'verify'], { env: env(), stdin: made }).code).toBe(0);
    const table = cli(['key', 'create', '-i', 'ci', '-n', 'table'], { env: env() });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.match(/ack_[0-9A-Za-z]{38}/g)).toHaveLength(1);
    expect(table.stderr).toMatch(/will not be shown again/);
  });
});
