import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PostgreSQL address that accepts connections and never answers: a command waits on it. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** Pids of processes whose command line holds every one of `parts`. */
function pidsWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => line.includes(p))) out.push(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a command restarted with heap flags (bin/launch.cjs)', () => {
  it('passes a signal sent to it on to the Node it started, and ends by that signal', async () => {
    const { server, port, sockets } = await silentServer();
    try {
      const marker = `restart-probe-${process.pid}`;
      const parent = spawn(process.execPath, [BIN, '--db', `postgres://nobody@127.0.0.1:${port}/${marker}`, 'db', 'check'], {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => parent.on('exit', (_code, signal) => resolve(signal)));
      // The second Node connects (the address reaches it through its environment, not argv).
      let child: number[] = [];
      for (let i = 0; i < 600 && (child.length === 0 || sockets.length === 0); i++) {
        await sleep(50);
        child = pidsWith('--heap-growing-percent=20', 'db check').filter((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker));
      }
      expect(child).toHaveLength(1);
      parent.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      // Gone too, not orphaned and still waiting on the server (its own timeout is 10 s).
      for (let i = 0; i < 100 && existsSync(`/proc/${child[0]}`); i++) await sleep(50);
      expect(existsSync(`/proc/${child[0]}`)).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 60_000);
});

describe('an install without its PostgreSQL driver chunk', () => {
  it('says the install is broken, in one line, not that the server cannot be reached', () => {
    const install = join(dir, 'install');
    cpSync(join(ROOT, 'bin'), join(install, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(install, 'dist'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(install, 'node_modules'));
    rmSync(join(install, 'dist', 'pg.cjs'));
    const r = spawnSync(process.execPath, [join(install, 'bin', 'accessctl'), '--db', 'postgres://nobody@127.0.0.1:1/x', 'user', 'list'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(6);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^accessctl: cannot load accessctl's PostgreSQL driver: .*pg\.cjs/);
    expect(r.stderr).not.toMatch(/reach/);
  });
});
