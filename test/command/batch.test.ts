import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/domain/tokens.js';
import { harness, T0, type Harness } from '../helpers/harness.js';
import { BIN, cli } from '../helpers/spawn.js';

/**
 * `access check --batch` (SPEC §13) as a gate uses it: the built binary kept as a co-process,
 * one request written, one answer read, against a store other processes change meanwhile.
 * Runs on both dialects: h.db is a file or a PostgreSQL database.
 */

let h: Harness;
let token: string;
const env = () => ({ ACCESSCTL_NOW: T0, ACCESSCTL_ACTOR: 'gate' });

beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['user', 'create', '-e', 'bob@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal', '--tcp', '5432']);
  await h.ok(['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']);
  await h.ok(['group', 'create', '-g', 'oncall', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '2h']);
  await h.ok(['service', 'create', '-n', 'ci', '-r', 'wiki']);
  const [k] = await h.json(['key', 'create', '-i', 'ci']);
  token = k!.token as string;
});
afterEach(() => h.cleanup());

/** A co-process: ask() writes one line and resolves with the next line of output. */
function gate(): { child: ChildProcessWithoutNullStreams; ask(line: string): Promise<Record<string, unknown>>; end(): Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, '--db', h.db, 'access', 'check', '--batch'], { env: { PATH: process.env.PATH ?? '', HOME: h.dir, ...env() } });
  let buffered = '';
  let stderr = '';
  const waiting: Array<(line: string) => void> = [];
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1 && waiting.length > 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()!(line);
    }
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    ask(line) {
      return new Promise((resolve) => {
        waiting.push((out) => resolve(JSON.parse(out) as Record<string, unknown>));
        child.stdin.write(`${line}\n`);
      });
    },
    async end() {
      child.stdin.end();
      const code = await closed;
      return { code, stderr };
    },
  };
}

const q = (o: Record<string, unknown>) => JSON.stringify(o);

describe('access check --batch', () => {
  it('answers each request before the next is written, from the store as it is then: a revocation by another process is seen at once', async () => {
    const g = gate();
    const first = await g.ask(q({ user: 'ada@example.com', resource: 'prod-db', port: 5432 }));
    expect(first).toEqual({ allowed: true, reason: null, via: 'group', group: 'oncall', expiresAt: '2026-11-23T01:00:00.000Z' });
    // Another process, while the gate's process stays up.
    expect(cli(['--db', h.db, 'group', 'remove-users', '-g', 'oncall', '-u', 'ada@example.com'], { env: env() }).code).toBe(0);
    const second = await g.ask(q({ user: 'ada@example.com', resource: 'prod-db', port: 5432 }));
    expect(second).toMatchObject({ allowed: false, via: null, expiresAt: null });
    expect(second.reason).toMatch(/no path/i);
    expect(cli(['--db', h.db, 'group', 'add-users', '-g', 'oncall', '-u', 'bob@example.com'], { env: env() }).code).toBe(0);
    expect(await g.ask(q({ user: 'bob@example.com', resource: 'prod-db' }))).toMatchObject({ allowed: true, group: 'oncall' });
    expect(await g.end()).toEqual({ code: 0, stderr: '' });
  });

  it('keeps order over many requests, answers a malformed line with an error and goes on, and exits 0 at EOF', async () => {
    const kinds = [
      [q({ user: 'ada@example.com', resource: 'prod-db' }), { allowed: true }],
      [q({ user: 'bob@example.com', resource: 'prod-db' }), { allowed: false }],
      ['{"user": "ada@example.com", "resource": ', { allowed: false, error: { code: 'MALFORMED' } }],
      [q({ token, resource: 'wiki' }), { allowed: true, via: 'direct' }],
      [q({ service: 'ci', resource: 'prod-db' }), { allowed: false }],
      [q({ user: 'nobody@example.com', resource: 'wiki' }), { allowed: false, error: { code: 'NOT_FOUND', message: 'user not found' } }],
      ['[1,2,3]', { allowed: false, error: { code: 'MALFORMED' } }],
      [q({ user: 'ada@example.com', service: 'ci', resource: 'wiki' }), { allowed: false, error: { code: 'MALFORMED' } }],
      [q({ user: 'ada@example.com', resource: 'prod-db', colour: 'red' }), { allowed: false, error: { code: 'MALFORMED' } }],
      [q({ user: 'ada@example.com', resource: 'prod-db', port: 22 }), { allowed: false }],
    ] as const;
    const lines: string[] = [];
    const expected: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 300; i++) {
      const [line, answer] = kinds[i % kinds.length]!;
      lines.push(line);
      expected.push(answer);
    }
    // With ids, so the order is checked request by request.
    const withIds = lines.map((l, i) => (l.startsWith('{"user": ') || l.startsWith('[') ? l : l.replace(/^\{/, `{"id":${i},`)));
    const r = cli(['--db', h.db, 'access', 'check', '--batch'], { stdin: `${withIds.join('\n')}\n`, env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const answers = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers).toHaveLength(300);
    answers.forEach((a, i) => {
      expect(a).toMatchObject(expected[i]!);
      // A denial is an answer, not an error; only what the gate got wrong carries one.
      if (!('error' in expected[i]!)) expect(a.error).toBeUndefined();
      if (withIds[i] !== lines[i]) expect(a.id).toBe(i);
    });
  });

  it('a very long line is answered once with an error, and the next line is answered', () => {
    const huge = q({ user: 'x'.repeat(200_000), resource: 'wiki' });
    const r = cli(['--db', h.db, 'access', 'check', '--batch'], { stdin: `${huge}\n${q({ user: 'ada@example.com', resource: 'prod-db' })}`, env: env() });
    expect(r.code).toBe(0);
    const answers = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatchObject({ allowed: false, error: { code: 'TOO_LARGE' } });
    expect(answers[1]).toMatchObject({ allowed: true });
  });

  it('never echoes a token: valid, revoked, forged, or sent where it does not belong', async () => {
    const body = `ack_${'Q7w'.repeat(10)}zz`;
    const forgedToken = body + base62(crc32(body), 6);
    const requests = [
      q({ token, resource: 'wiki' }),
      q({ token: forgedToken, resource: 'wiki' }),
      q({ token: `${token}x`, resource: 'no-such' }),
      q({ user: token, resource: 'wiki' }),
      q({ service: token, resource: 'wiki' }),
      q({ user: 'ada@example.com', resource: token }),
      q({ user: 'ada@example.com', resource: 'wiki', port: token }),
      q({ user: 'ada@example.com', resource: 'wiki', protocol: token }),
      q({ token, resource: 'wiki', [token]: 1 }),
      `{"token": "${token}", "resource": `,
      `not json ${token}`,
    ];
    const r = cli(['--db', h.db, 'access', 'check', '--batch'], { stdin: `${requests.join('\n')}\n`, env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(requests.length);
    for (const secret of [token, forgedToken, token.slice(0, 20)]) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });

  it('exits 0 without a word when the reader goes away (SIGPIPE), however much input is left', () => {
    const line = q({ user: 'ada@example.com', resource: 'prod-db' });
    const script = `set -o pipefail; yes '${line}' | node ${JSON.stringify(BIN)} --db ${JSON.stringify(h.db)} access check --batch 2>"$ERR" | head -n 3; echo "\${PIPESTATUS[1]}"`;
    const r = spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '', ERR: `${h.dir}/err`, ...env() }, encoding: 'utf8', timeout: 60_000 });
    const out = r.stdout.trimEnd().split('\n');
    expect(out.slice(0, 3).every((l) => (JSON.parse(l) as { allowed: boolean }).allowed)).toBe(true);
    expect(out[3]).toBe('0');
    expect(spawnSync('cat', [`${h.dir}/err`], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('answers what only looks blank, drops a leading byte-order mark, and refuses duplicate fields, bad UTF-8 and a padded port', () => {
    const lines = [
      // A file saved on Windows: a byte-order mark, then an empty line (blank: no answer).
      Buffer.from('\ufeff\r\n'),
      Buffer.from(`${q({ id: 1, user: 'ada@example.com', resource: 'prod-db' })}\n`),
      Buffer.from('\u00a0\n'), // no-break space: not JSON whitespace, so not a blank line
      Buffer.from('\u2028\n'),
      Buffer.from(' \t\r\n'), // blank: no answer
      Buffer.from('{"id":2,"user":"ada@example.com","resource":"prod-db","user":"bob@example.com"}\n'),
      Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3]), Buffer.from('","user":"ada@example.com","resource":"prod-db"}\n')]),
      Buffer.from(`${q({ id: 4, user: 'ada@example.com', resource: 'prod-db', port: ' 5432' })}\n`),
      Buffer.from(`${q({ id: 5, user: 'ada@example.com', resource: 'prod-db', port: '5432' })}\n`),
      // Anywhere but the very start, a byte-order mark is part of the line.
      Buffer.from(`\ufeff${q({ id: 6, user: 'ada@example.com', resource: 'prod-db' })}\n`),
      // Two ids: neither is echoed.
      Buffer.from('{"id":7,"user":"ada@example.com","resource":"prod-db","id":8}\n'),
    ];
    const r = spawnSync(process.execPath, [BIN, '--db', h.db, 'access', 'check', '--batch'], { input: Buffer.concat(lines), env: { PATH: process.env.PATH ?? '', HOME: h.dir, ...env() }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const answers = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers).toHaveLength(9);
    expect(answers[0]).toMatchObject({ id: 1, allowed: true });
    expect(answers[1]).toMatchObject({ allowed: false, error: { code: 'MALFORMED' } });
    expect(answers[2]).toMatchObject({ allowed: false, error: { code: 'MALFORMED' } });
    expect(answers[3]).toMatchObject({ id: 2, allowed: false, error: { code: 'MALFORMED', message: 'a field is given twice' } });
    expect(answers[4]).toEqual({ allowed: false, reason: 'not valid UTF-8', via: null, group: null, expiresAt: null, error: { code: 'MALFORMED', message: 'not valid UTF-8' } });
    expect(answers[5]).toMatchObject({ id: 4, allowed: false, error: { code: 'MALFORMED' } });
    expect(answers[6]).toMatchObject({ id: 5, allowed: true });
    expect(answers[7]).toMatchObject({ allowed: false, error: { code: 'MALFORMED' } });
    expect(answers[8]).toEqual({ allowed: false, reason: 'a field is given twice', via: null, group: null, expiresAt: null, error: { code: 'MALFORMED', message: 'a field is given twice' } });
  });

  it('a stdin that is a directory, and answers that cannot be written (a full disk), are one line each, never a silent exit 0', () => {
    const dir = spawnSync('sh', ['-c', `exec "$0" "$1" --db "$2" access check --batch < /`, process.execPath, BIN, h.db], { env: { PATH: process.env.PATH ?? '', HOME: h.dir, ...env() }, encoding: 'utf8' });
    expect(dir.status).toBe(2);
    expect(dir.stderr).toBe('accessctl: stdin is a directory (redirect a file or a pipe into accessctl)\n');
    const full = spawnSync('sh', ['-c', `exec "$0" "$1" --db "$2" access check --batch > /dev/full`, process.execPath, BIN, h.db], {
      input: `${q({ user: 'ada@example.com', resource: 'prod-db' })}\n`,
      env: { PATH: process.env.PATH ?? '', HOME: h.dir, ...env() },
      encoding: 'utf8',
    });
    expect(full.status).toBe(1);
    expect(full.stderr).toBe('accessctl: cannot write to stdout: ENOSPC (check where the output goes: a full disk?)\n');
  });

  it('a store file replaced (a restore, a mv) or removed under a running batch is exit 6 before the next answer, never a stale one', async () => {
    if (h.dialect !== 'sqlite') return;
    for (const change of ['replace', 'remove'] as const) {
      const g = gate();
      // ada is allowed until the store is replaced by one where she is disabled.
      expect(await g.ask(q({ user: 'ada@example.com', resource: 'prod-db' }))).toMatchObject({ allowed: change === 'replace' });
      if (change === 'replace') {
        // A backup of the store in which ada is disabled, moved over the store the gate has open.
        const copy = `${h.db}.new`;
        expect(cli(['--db', h.db, 'db', 'backup', copy], { env: { PATH: process.env.PATH ?? '' } }).code).toBe(0);
        expect(cli(['--db', copy, 'user', 'disable', '-i', 'ada@example.com'], { env: env() }).code).toBe(0);
        renameSync(copy, h.db);
      } else {
        for (const f of [h.db, `${h.db}-wal`, `${h.db}-shm`]) rmSync(f, { force: true });
      }
      g.child.stdin.write(`${q({ user: 'ada@example.com', resource: 'prod-db' })}\n`);
      const { code, stderr } = await g.end();
      expect(code, change).toBe(6);
      expect(stderr).toMatch(/^accessctl: store .* was replaced or removed while the batch was running \(start the batch again on the store as it is now\)\n$/);
      if (change === 'replace') await h.ok(['user', 'list']);
    }
  });

  it('refuses request flags beside --batch, and a missing store, with one line each', () => {
    const mixed = cli(['--db', h.db, 'access', 'check', '--batch', '--user', 'ada@example.com'], { env: env() });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trimEnd().split('\n')).toHaveLength(1);
    // Output flags that would be silently ignored.
    for (const flags of [['--columns', 'allowed'], ['-q']]) {
      const r = cli(['--db', h.db, ...flags, 'access', 'check', '--batch'], { env: env(), stdin: `${q({ user: 'ada@example.com', resource: 'prod-db' })}\n` });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('accessctl: --batch answers are whole NDJSON objects (drop --columns and -q)\n');
    }
    if (h.dialect === 'sqlite') {
      const missing = cli(['--db', `${h.dir}/nowhere.db`, 'access', 'check', '--batch'], { stdin: q({ user: 'ada@example.com', resource: 'wiki' }), env: env() });
      expect(missing.code).toBe(6);
      expect(missing.stdout).toBe('');
      expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
