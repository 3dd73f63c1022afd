import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import { reachableAccessctl } from './reachable.js';
import { BIN, cli, ROOT, type SpawnResult } from './spawn.js';

/** Gates started by `serve`, for `stopGates` to kill after each test. */
const running: ChildProcess[] = [];

export function stopGates(): void {
  for (const g of running.splice(0)) if (g.exitCode === null && g.signalCode === null) g.kill('SIGKILL');
}

/** A throwaway system account (and its group) that cannot read the store: the asking side. Root only. */
export function throwawayAccount(name: string): { name: string; uid: number; gid: number; remove: () => void } {
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`useradd: ${made.stderr}`);
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { name, uid: id('-u'), gid: id('-g'), remove: () => void spawnSync('userdel', [name]) };
}

/** Starts serve as root; resolves once it listens. */
export async function serve(db: string, args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; log: () => string; stopped: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { PATH: process.env.PATH ?? '', HOME: '/root', ACCESSCTL_DB: db, ...env }, cwd: ROOT });
  running.push(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  const stopped = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    child.stderr!.on('data', (d) => {
      log += d;
      if (log.includes('listening on')) ready();
    });
    void stopped.then((code) => fail(new Error(`serve exited ${code}: ${log}`)));
  });
  return { child, log: () => log, stopped };
}

/** Raw NDJSON over the socket, from this process: every line sent, every answer read. */
export function talk(socket: string, lines: string[]): Promise<Array<Record<string, unknown>>> {
  return new Promise((done, fail) => {
    const c = createConnection(socket);
    let got = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.end(lines.map((l) => `${l}\n`).join('')));
    c.on('data', (d: string) => (got += d));
    c.on('end', () => done(got.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
    c.on('error', fail);
  });
}

/** A store (0700 room) with ada (in ops, granted host-a), bob (nothing), a service ci with a key; the socket's place (0755). */
export function gateStore(sub: string) {
  mkdirSync(join(sub, 'store'), { recursive: true, mode: 0o700 });
  mkdirSync(join(sub, 'run'), { mode: 0o755 });
  chmodSync(sub, 0o755);
  const db = join(sub, 'store', 'store.db');
  const env = { ACCESSCTL_DB: db };
  const op = (args: string[], stdin?: string) => {
    const r = cli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  op(['user', 'create', '-e', 'ada@example.com']);
  op(['user', 'create', '-e', 'bob@example.com']);
  op(['resource', 'create', '-n', 'host-a', '-a', 'host-a.internal']);
  op(['group', 'create', '-g', 'ops', '-u', 'ada@example.com', '-r', 'host-a']);
  op(['service', 'create', '-n', 'ci', '-r', 'host-a']);
  const token = op(['-q', 'key', 'create', '-i', 'ci', '-n', 'k1']);
  return { sub, db, env, op, token, socket: join(sub, 'run', 'gate.sock') };
}

/** `access check --socket` as another account. */
export function askAs(account: { uid: number; gid: number }, socket: string, args: string[], stdin = '', env: Record<string, string> = {}): SpawnResult {
  const { node, bin } = reachableAccessctl(account);
  const r = spawnSync(node, [bin, 'access', 'check', '--socket', socket, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
    uid: account.uid,
    gid: account.gid,
    input: stdin,
    encoding: 'utf8',
    cwd: '/',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
