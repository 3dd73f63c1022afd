import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { BIN, ROOT } from './spawn.js';

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
