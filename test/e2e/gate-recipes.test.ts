import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSocketMode } from '../../src/cli/commands/serve/listen.js';
import { serve, stopGates, talk, throwawayAccount } from '../helpers/gate.js';
import { cli, ROOT } from '../helpers/spawn.js';
import { reachableAccessctl } from '../helpers/reachable.js';

/**
 * The recipes of docs/gates.md, run as shipped: examples/gates/gate-hook as an account that cannot
 * read the store, and the systemd units' command and socket settings under socket activation.
 * (The sshd recipe has its own test, sshd-gate.test.ts, with a real OpenSSH server.)
 */
const root = process.getuid?.() === 0;
const GATES = join(ROOT, 'examples', 'gates');
let dir: string;
let shim: string;
let db: string;
let account: ReturnType<typeof throwawayAccount>;

beforeAll(() => {
  if (!root) return;
  account = throwawayAccount(`acrecipe-${process.pid}`);
  dir = mkdtempSync(join(tmpdir(), 'accessctl-recipes-'));
  chmodSync(dir, 0o755);
  // `accessctl` on PATH, as an installed package puts it.
  shim = join(dir, 'bin');
  mkdirSync(shim, { mode: 0o755 });
  const { node, bin } = reachableAccessctl(account);
  // The hook as shipped, where the account can run it (a checkout may sit in a 0700 home).
  copyFileSync(join(GATES, 'gate-hook'), join(shim, 'gate-hook'));
  chmodSync(join(shim, 'gate-hook'), 0o755);
  writeFileSync(join(shim, 'accessctl'), `#!/bin/sh\nexec '${node}' '${bin}' "$@"\n`, { mode: 0o755 });
  mkdirSync(join(dir, 'store'), { mode: 0o700 });
  db = join(dir, 'store', 'store.db');
  for (const args of [
    ['user', 'create', '-e', 'ada@example.com'],
    ['user', 'create', '-e', 'bob@example.com'],
    ['resource', 'create', '-n', 'prod-db', '-a', 'db.internal', '--tcp', '5432'],
    ['group', 'create', '-g', 'dba', '-u', 'ada@example.com', '-r', 'prod-db'],
  ]) {
    const r = cli(['--db', db, ...args]);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(() => {
  if (!root) return;
  account.remove();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => stopGates());

describe.skipIf(!root)('docs/gates.md recipes', () => {
  it('gate-hook: exit 0 only for an allowed request; everything else, a missing gate included, is 1', async () => {
    mkdirSync(join(dir, 'run'), { mode: 0o755 });
    const socket = join(dir, 'run', 'gate.sock');
    const hook = (...args: string[]) =>
      spawnSync(join(shim, 'gate-hook'), args, {
        env: { PATH: `${shim}:/usr/bin:/bin`, ACCESSCTL_GATE_SOCKET: socket },
        uid: account.uid,
        gid: account.gid,
        encoding: 'utf8',
        cwd: '/',
      });
    expect(hook('ada@example.com', 'prod-db').status).toBe(1); // no gate yet: fails closed
    const gate = await serve(db, ['--socket', socket, '--socket-group', account.name]);
    expect(hook('ada@example.com', 'prod-db').status).toBe(0);
    expect(hook('ada@example.com', 'prod-db', '5432').status).toBe(0);
    expect(hook('ada@example.com', 'prod-db', '22').status).toBe(1);
    expect(hook('bob@example.com', 'prod-db').status).toBe(1);
    expect(hook('eve@example.com', 'prod-db').status).toBe(1);
    const split = hook('bob@example.com', 'prod-db', '5432 --user ada@example.com');
    expect(split.status).toBe(1); // a port is one argument: never a second --user
    expect(split.stdout).toBe('');
    const usage = hook('ada@example.com');
    expect(usage.status).toBe(1);
    expect(usage.stderr).toMatch(/^usage: gate-hook USER RESOURCE \[PORT\]/);
    gate.child.kill('SIGTERM');
    await gate.stopped;
    expect(hook('ada@example.com', 'prod-db').status).toBe(1);
  }, 120_000);

  it('the systemd units: the socket settings serve itself would make; ExecStart answers on the socket systemd passes', async () => {
    const unit = (file: string) => {
      const keys = new Map<string, string>();
      for (const line of readFileSync(join(GATES, file), 'utf8').split('\n')) {
        const m = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (m) keys.set(m[1]!, m[2]!);
      }
      return keys;
    };
    const socketUnit = unit('accessctl-gate.socket');
    const service = unit('accessctl-gate.service');
    expect(parseSocketMode(socketUnit.get('SocketMode'))).toBe(0o660);
    expect(socketUnit.get('ListenStream')).toBe('/run/accessctl/gate.sock');
    expect(socketUnit.get('DirectoryMode')).toBe('0755');
    const exec = service.get('ExecStart')!.split(' ');
    expect(exec[0]).toBe('/usr/bin/accessctl');
    expect(service.get('Environment')).toMatch(/^ACCESSCTL_DB=/);
    const activate = spawnSync('which', ['systemd-socket-activate'], { encoding: 'utf8' }).stdout.trim();
    if (activate === '') return; // systemd's helper is not installed here; the settings above were still checked
    mkdirSync(join(dir, 'sd'), { mode: 0o755 });
    const socket = join(dir, 'sd', 'gate.sock');
    const child = spawn(activate, ['-l', socket, '-E', `ACCESSCTL_DB=${db}`, join(shim, 'accessctl'), ...exec.slice(1)], { env: { PATH: process.env.PATH ?? '' } });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const stopped = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    const answers = await talk(socket, [JSON.stringify({ user: 'ada@example.com', resource: 'prod-db', port: 5432 }), JSON.stringify({ user: 'bob@example.com', resource: 'prod-db' })]);
    expect(answers.map((a) => a.allowed)).toEqual([true, false]);
    child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(log).toMatch(/listening on the socket systemd passed/);
  }, 60_000);
});
