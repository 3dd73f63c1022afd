import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT } from '../helpers/spawn.js';
import { installAccessctl, installRootFile, sshdSkipReason, sshFixture, type SshFixture } from '../helpers/sshd.js';

/**
 * A real sshd whose AuthorizedKeysCommand asks a gate: a user gets in while the gate says yes,
 * and is refused whenever it says anything else. Logins are polled (bounded), never timed.
 */
const skip = sshdSkipReason();
const title = (what: string) => (skip === null ? what : `${what} (skipped: ${skip})`);

describe.skipIf(skip !== null)(title('sshd with a stand-in gate: the key only while a command exits 0'), () => {
  let ssh: SshFixture;
  let flag: string;
  let calls: string;
  beforeAll(async () => {
    ssh = sshFixture();
    const keys = join(ssh.rootDir, 'keys');
    mkdirSync(keys, { mode: 0o755 });
    installRootFile(join(keys, ssh.loginUser), ssh.clientPublicKey);
    // The one place the gate account may write: a record of each time sshd ran the command.
    const runs = join(ssh.rootDir, 'runs');
    mkdirSync(runs, { mode: 0o700 });
    chownSync(runs, ssh.gateUid, ssh.gateGid);
    calls = join(runs, 'calls');
    flag = join(ssh.rootDir, `allow-${ssh.loginUser}`);
    const script = join(ssh.rootDir, 'stand-in-gate');
    installRootFile(
      script,
      [
        '#!/bin/sh',
        `echo "$1" >> '${calls}'`,
        `test -e '${ssh.rootDir}/allow-'"$1" || exit 1`,
        `exec cat '${keys}/'"$1"`,
        '',
      ].join('\n'),
      0o755,
    );
    await ssh.start(`${script} %u`);
  });
  afterAll(async () => {
    await ssh?.cleanup();
  });

  const ran = () => {
    try {
      return readFileSync(calls, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  it('refuses the key while the command fails, and sshd did run it, as the gate account', async () => {
    const denied = await ssh.login();
    expect(denied.code, denied.stderr).toBe(255);
    expect(denied.stderr).toMatch(/Permission denied \(publickey\)/);
    expect(ran().length).toBeGreaterThan(0);
    expect(new Set(ran())).toEqual(new Set([ssh.loginUser]));
    expect(statSync(calls).uid).toBe(ssh.gateUid);
  });

  it('lets the user in while the command succeeds, and out again once it fails', async () => {
    writeFileSync(flag, '');
    const allowed = await ssh.login();
    expect(allowed.code, `${allowed.stderr}\n${ssh.log()}`).toBe(0);
    expect(ssh.log()).toContain(`Accepted publickey for ${ssh.loginUser}`);
    rmSync(flag);
    const again = await ssh.login();
    expect(again.code, again.stderr).toBe(255);
  });
});

/**
 * The recipe itself: examples/gates/sshd-authorized-keys, copied as it is into a root-owned
 * directory, asks `accessctl serve` (run by root, the store's owner) over a socket only the gate
 * account's group may use. Expiry bites at read time: no sweep runs in this test.
 */
describe.skipIf(skip !== null)(title('sshd asks accessctl serve through examples/gates/sshd-authorized-keys'), () => {
  let ssh: SshFixture;
  let store: string;
  let socket: string;
  let gate: ChildProcess | null = null;
  let gateLog = '';
  let gateExit: Promise<number | null> = Promise.resolve(null);
  let email: string;
  let accessctl: string;
  const env = () => ({ ACCESSCTL_HOME: store });
  const ac = (args: string[]) => {
    const r = cli(['--db', join(store, 'store.db'), ...args], { env: env() });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    ssh = sshFixture();
    email = `${ssh.loginUser}@example.com`;
    store = mkdtempSync(join(tmpdir(), 'accessctl-sshd-store-'));
    ac(['-q', 'user', 'create', '-e', email]);
    ac(['-q', 'resource', 'create', '-n', 'host-a', '-a', 'host-a.internal']);
    ac(['-q', 'group', 'create', '-g', 'ssh-host-a', '-r', 'host-a']);

    const keys = join(ssh.rootDir, 'keys');
    mkdirSync(keys, { mode: 0o755 });
    installRootFile(join(keys, ssh.loginUser), ssh.clientPublicKey);
    // The accessctl the script runs: the built one, where the gate account can reach it.
    accessctl = installAccessctl(ssh, ROOT);
    const libexec = join(ssh.rootDir, 'libexec');
    mkdirSync(libexec, { mode: 0o755 });
    const script = join(libexec, 'accessctl-ssh-keys');
    installRootFile(script, readFileSync(join(ROOT, 'examples', 'gates', 'sshd-authorized-keys'), 'utf8'), 0o755);
    const run = join(ssh.rootDir, 'run');
    mkdirSync(run, { mode: 0o755 });
    socket = join(run, 'gate.sock');

    await startGate();
    const vars = [
      `ACCESSCTL_GATE_SOCKET=${socket}`,
      'ACCESSCTL_GATE_RESOURCE=host-a',
      'ACCESSCTL_GATE_DOMAIN=example.com',
      `ACCESSCTL_GATE_KEYS=${keys}`,
      `ACCESSCTL=${accessctl}`,
    ];
    await ssh.start(`/usr/bin/env ${vars.join(' ')} ${script} %u`);
  });
  afterAll(async () => {
    await stopGate();
    await ssh?.cleanup();
    if (store) rmSync(store, { recursive: true, force: true });
  });

  async function startGate(): Promise<void> {
    gateLog = '';
    const child = spawn(process.execPath, [BIN, '--db', join(store, 'store.db'), 'serve', '--socket', socket, '--socket-group', ssh.gateGroup], {
      env: { PATH: process.env.PATH ?? '', HOME: store, ...env() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    gate = child;
    child.stderr!.on('data', (d) => (gateLog += d));
    gateExit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let exited = false;
    void gateExit.then(() => (exited = true));
    for (let i = 0; i < 400 && !exited; i++) {
      if (existsSync(socket) && statSync(socket).isSocket()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`accessctl serve did not listen on ${socket}: ${gateLog}`);
  }
  async function stopGate(): Promise<number | null> {
    const child = gate;
    gate = null;
    if (child === null) return null;
    child.kill('SIGTERM');
    return gateExit;
  }
  /** Logs in until `want` (0 in, 255 refused), up to 30 s. */
  async function loginUntil(want: number) {
    const start = Date.now();
    for (;;) {
      const r = await ssh.login();
      if (r.code === want || Date.now() - start > 30_000) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
  }
  /** The gate's connections so far: one line each on its stderr. */
  const asked = () => gateLog.split('\n').filter((l) => /\bconnection\b/.test(l)).length;
  /** sshd's own record of running the command: a key found, or the command failing. */
  const ran = (outcome: 'accepted' | 'failed') =>
    ssh.log().split('\n').filter((l) =>
      outcome === 'accepted' ? l.startsWith('Accepted key ') && l.includes(' found at /usr/bin/env ACCESSCTL_GATE_') : /^AuthorizedKeysCommand .*accessctl-ssh-keys \S+ failed/.test(l),
    ).length;

  it('serves the socket to the gate account\'s group, and no one else', () => {
    const s = statSync(socket);
    expect(s.gid).toBe(ssh.gateGid);
    expect(s.mode & 0o007).toBe(0);
  });

  it('lets the gate account ask, never read the store', () => {
    const asGate = (args: string[]) =>
      spawnSync(accessctl, args, { uid: ssh.gateUid, gid: ssh.gateGid, cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: '/' }, encoding: 'utf8' });
    const direct = asGate(['--db', join(store, 'store.db'), 'access', 'check', '--user', email, '-r', 'host-a']);
    expect(direct.status, direct.stderr).toBe(6);
    const asked = asGate(['-q', 'access', 'check', '--socket', socket, '--user', email, '-r', 'host-a']);
    expect(asked.status, asked.stderr).toBe(5);
    expect(asked.stdout).toBe('');
  });

  it('refuses the user before any grant', async () => {
    const before = asked();
    const r = await ssh.login();
    expect(r.code, r.stderr).toBe(255);
    expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
    expect(ran('failed')).toBeGreaterThan(0);
    expect(asked()).toBeGreaterThan(before);
  });

  it('lets the user in while a membership lasts, and refuses once it has expired, with no sweep', async () => {
    ac(['-q', 'group', 'add-users', '-g', 'ssh-host-a', '-u', email, '--ttl', '10s']);
    const before = asked();
    const allowed = await ssh.login();
    expect(allowed.code, `${allowed.stderr}\n${ssh.log()}\n${gateLog}`).toBe(0);
    expect(ran('accepted')).toBeGreaterThan(0);
    expect(asked()).toBeGreaterThan(before);
    const refused = await loginUntil(255);
    expect(refused.code, refused.stderr).toBe(255);
    // The expired membership is still in the store (nothing swept it): the gate judged it at read time.
    const check = cli(['--db', join(store, 'store.db'), 'access', 'check', '--user', email, '-r', 'host-a'], { env: env() });
    expect(check.code).toBe(5);
    expect(check.stderr).toMatch(/grant expired at/);
  });

  it('lets the user in again after a new grant', async () => {
    ac(['-q', 'group', 'add-users', '-g', 'ssh-host-a', '-u', email, '--ttl', '1h']);
    const r = await ssh.login();
    expect(r.code, `${r.stderr}\n${gateLog}`).toBe(0);
  });

  it('fails closed once the gate stops', async () => {
    const failedBefore = ran('failed');
    expect(await stopGate()).toBe(0);
    expect(existsSync(socket)).toBe(false);
    const r = await ssh.login();
    expect(r.code, r.stderr).toBe(255);
    expect(ran('failed')).toBeGreaterThan(failedBefore);
  });

  it('never writes the key or a request on the gate\'s stderr', () => {
    const keyBody = ssh.clientPublicKey.split(' ')[1]!;
    expect(gateLog).not.toContain(keyBody);
    expect(gateLog).not.toContain(email);
    expect(gateLog).not.toContain('host-a');
    expect(gateLog).not.toContain('"user"');
  });
});
