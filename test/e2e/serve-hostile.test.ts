import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { askAs, gateStore, serve, stopGates, talk, throwawayAccount } from '../helpers/gate.js';
import { cli } from '../helpers/spawn.js';

/**
 * `accessctl serve` and `access check --socket` against what a hostile account, a careless
 * operator and a fake gate do (each case was seen to go wrong once): a socket place another
 * account owns, a socket opened to everyone after start, answers no gate gives, a store made
 * unsafe or its schema changed twice while serving, a last line without its newline, a socket
 * replaced before stop, the asking side's environment.
 */
const root = process.getuid?.() === 0;
let asker: ReturnType<typeof throwawayAccount>;
let other: ReturnType<typeof throwawayAccount>;
let dir: string;
let n = 0;

beforeAll(() => {
  if (!root) return;
  asker = throwawayAccount(`acask-${process.pid}`);
  other = throwawayAccount(`acoth-${process.pid}`);
  dir = mkdtempSync(join(tmpdir(), 'accessctl-hostile-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  if (!root) return;
  asker.remove();
  other.remove();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => stopGates());

const setup = () => gateStore(join(dir, `t${++n}`));
const ask = (socket: string, args: string[], env: Record<string, string> = {}) => askAs(asker, socket, args, '', env);
const allowedLine = JSON.stringify({ user: 'ada@example.com', resource: 'host-a' });
const python = (db: string, sql: string) => {
  const r = spawnSync('python3', ['-c', `import sqlite3; c = sqlite3.connect(${JSON.stringify(db)}); c.executescript(${JSON.stringify(sql)}); c.commit()`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
};

describe.skipIf(!root)('accessctl serve against hostile accounts and careless changes', () => {
  it("refuses a socket place another account owns; the asker refuses a socket someone else put in a gate's place", async () => {
    const s = setup();
    const theirs = join(s.sub, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, other.uid, other.gid);
    const r = cli(['serve', '--socket', join(theirs, 'gate.sock')], { env: s.env });
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(new RegExp(`socket directory ${theirs} belongs to uid ${other.uid}`));
    // A socket in root's directory that another account made (a fake gate that says yes).
    const fake = join(s.sub, 'run', 'fake.sock');
    const server = createServer((c) => c.end('{"allowed":true,"reason":null,"via":"group","group":"g","expiresAt":null,"records":[{"allowed":true}]}\n'));
    await new Promise<void>((ok) => server.listen(fake, () => ok()));
    chownSync(fake, other.uid, other.gid);
    chmodSync(fake, 0o660);
    try {
      const asked = ask(fake, ['--user', 'bob@example.com', '-r', 'host-a']);
      expect(asked.code).toBe(6);
      expect(asked.stderr).toMatch(new RegExp(`belongs to uid ${other.uid}, neither root nor the owner of its directory`));
    } finally {
      server.close();
    }
  });

  it('the asker takes only the answers a gate gives: not a string "true", not a bare allowed, no terminal escapes', async () => {
    const s = setup();
    const fake = join(s.sub, 'run', 'fake.sock');
    const replyFile = join(s.sub, 'reply');
    // The fake gate is a process of its own: the asker runs synchronously here.
    const server = spawn(process.execPath, ['-e', `require('net').createServer((c) => c.end(require('fs').readFileSync(${JSON.stringify(replyFile)}))).listen(${JSON.stringify(fake)}, () => console.log('ready'))`]);
    await new Promise((ok) => server.stdout.once('data', ok));
    chmodSync(fake, 0o660);
    chownSync(fake, 0, asker.gid);
    const answerWith = (text: string) => writeFileSync(replyFile, text);
    try {
      for (const bad of ['{"allowed":"true","reason":null,"records":[{"allowed":true}]}', '{"allowed":true}', 'not json', `{"allowed":true,"reason":null,"records":[]}`]) {
        answerWith(`${bad}\n`);
        const r = ask(fake, ['--user', 'ada@example.com', '-r', 'host-a']);
        expect(r.code, bad).toBe(6);
        expect(r.stderr).toMatch(/not one accessctl serve gives/);
      }
      answerWith('{"allowed":false,"reason":"x","via":null,"group":null,"expiresAt":null,"error":{"code":"MALFORMED","message":"\\u001b[2J\\u001b]0;owned\\u0007"}}\n');
      const escaped = ask(fake, ['--user', 'ada@example.com', '-r', 'host-a']);
      expect(escaped.code).toBe(2);
      expect(escaped.stderr).not.toMatch(/\u001b/);
      expect(escaped.stderr).toContain('\\u001b[2J');
    } finally {
      server.kill();
    }
  });

  it('a socket opened to every account after start is no longer served; a socket replaced before stop is left alone', async () => {
    const s = setup();
    const gate = await serve(s.db, ['--socket', s.socket]);
    expect((await talk(s.socket, [allowedLine]))[0]!.allowed).toBe(true);
    chmodSync(s.socket, 0o666);
    expect(await talk(s.socket, [allowedLine]).catch(() => [])).toEqual([]);
    chmodSync(s.socket, 0o660);
    expect((await talk(s.socket, [allowedLine]))[0]!.allowed).toBe(true);
    rmSync(s.socket);
    writeFileSync(s.socket, 'not the gate');
    gate.child.kill('SIGTERM');
    expect(await gate.stopped).toBe(0);
    expect(existsSync(s.socket)).toBe(true);
    expect(gate.log()).toMatch(/open to every account \(mode 0666\): refusing connections/);
  });

  it('a store made unsafe while serving, its schema changed twice, its version moved: judged again each time; revocations seen after', async () => {
    const s = setup();
    await serve(s.db, ['--socket', s.socket, '--socket-group', asker.name]);
    const check = () => ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']).code;
    expect(check()).toBe(0);
    chmodSync(s.db, 0o666);
    expect(check()).toBe(6);
    chmodSync(s.db, 0o600);
    expect(check()).toBe(0);
    for (let round = 0; round < 2; round++) {
      python(s.db, 'create table planted (a);');
      expect(check()).toBe(6);
      python(s.db, 'drop table planted;');
      expect(check()).toBe(0);
    }
    // After the store was opened again in this process, another process's revocation still counts.
    s.op(['group', 'remove-users', '-g', 'ops', '-u', 'ada@example.com']);
    expect(check()).toBe(5);
    s.op(['group', 'add-users', '-g', 'ops', '-u', 'ada@example.com']);
    expect(check()).toBe(0);
    python(s.db, 'pragma user_version = 99;');
    expect(check()).toBe(6);
  });

  it('answers a last request sent without its newline, on a half-closed connection', async () => {
    const s = setup();
    await serve(s.db, ['--socket', s.socket]);
    const answer = await new Promise<string>((done, fail) => {
      const c = createConnection(s.socket);
      let got = '';
      c.setEncoding('utf8');
      c.on('connect', () => c.end(allowedLine)); // no newline, then FIN
      c.on('data', (d: string) => (got += d));
      c.on('end', () => done(got));
      c.on('error', fail);
    });
    expect(JSON.parse(answer)).toMatchObject({ allowed: true });
  });

  it('the asking side: no store settings needed, the local exit codes for odd references and ports, no clock override', async () => {
    const s = setup();
    await serve(s.db, ['--socket', s.socket, '--socket-group', asker.name]);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a'], { ACCESSCTL_DB: '', HOME: '' }).code).toBe(0);
    const cases: string[][] = [
      ['--user', 'ada@example.com', '-r', 'host-a', '--port', ' 22'],
      ['--user', 'ada@example.com', '-r', 'host-a', '--port', '5432 '],
      ['--user', '', '-r', 'host-a'],
      ['--user', 'ada@example.com', '-r', ''],
      ['--user', 'x'.repeat(70_000), '-r', 'host-a'],
    ];
    for (const args of cases) {
      const local = cli(['--db', s.db, 'access', 'check', ...args]);
      const viaGate = ask(s.socket, args);
      expect(viaGate.code, `${args.join(' ').slice(0, 60)}: ${viaGate.stderr}`).toBe(local.code);
      expect(viaGate.stderr).toBe(local.stderr);
    }
    const pinned = ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a'], { ACCESSCTL_NOW: '2030-01-01T00:00:00Z' });
    expect(pinned.code).toBe(2);
    expect(pinned.stderr).toMatch(/ACCESSCTL_NOW cannot move a running gate's clock/);
    const group = cli(['serve', '--socket', join(s.sub, 'run', 'g2.sock'), '--socket-group', '4294967295'], { env: s.env });
    expect(group.code).toBe(2);
  });
});
