import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real OpenSSH server for gate tests: its own sshd on 127.0.0.1 and a free port, throwaway
 * system accounts, and an AuthorizedKeysCommand the test installs. Needs root (accounts, sshd)
 * and Debian's openssh-server; `sshdSkipReason` says why a test cannot run.
 */
export const SSHD = '/usr/sbin/sshd';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export function sshdSkipReason(): string | null {
  if (process.platform !== 'linux') return 'the SSH gate test runs on Linux only';
  if (process.getuid?.() !== 0) return 'the SSH gate test needs root (system accounts and an sshd of its own)';
  if (!existsSync(SSHD)) return `${SSHD} is missing (Debian's openssh-server; .ci/run installs it)`;
  for (const cmd of ['ssh', 'ssh-keygen', 'useradd', 'usermod', 'userdel']) {
    if (!has(cmd)) return `${cmd} is missing`;
  }
  return null;
}

export interface LoginResult {
  code: number;
  stderr: string;
}

export interface SshFixture {
  /** A login account with a shell and no password (unlocked: OpenSSH refuses a locked one). */
  loginUser: string;
  /** The account sshd runs the AuthorizedKeysCommand as, and its group. */
  gateUser: string;
  gateGroup: string;
  gateUid: number;
  gateGid: number;
  /** A fresh root-owned 0755 directory (/opt/accessctl-test-…): sshd accepts a command only there. */
  rootDir: string;
  /** The client's public key line, for the key files a command prints. */
  clientPublicKey: string;
  /** A private 0700 directory: sshd's config, host key, client key. */
  dir: string;
  port: number;
  /** Starts sshd with this AuthorizedKeysCommand (an sshd_config value) and waits until it listens. */
  start(authorizedKeysCommand: string): Promise<void>;
  /** Logs in as `user` with the client key and runs `true`. */
  login(user?: string): Promise<LoginResult>;
  /** What sshd has written on stderr so far (-e: its log). */
  log(): string;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the accounts, keys and directories; `start` then runs sshd. */
export function sshFixture(): SshFixture {
  const tag = randomBytes(3).toString('hex');
  const loginUser = `actl-${tag}`;
  const gateUser = `acgate-${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-sshd-'));
  chmodSync(dir, 0o700);
  const rootDir = `/opt/accessctl-test-${tag}`;
  const users: string[] = [];
  let sshd: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  let port = 0;

  const cleanup = async () => {
    await fixture.stop();
    for (const user of users.splice(0)) spawnSync('userdel', ['-r', user], { encoding: 'utf8' });
    rmSync(rootDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  };

  const fixture: SshFixture = {
    loginUser,
    gateUser,
    gateGroup: '',
    gateUid: -1,
    gateGid: -1,
    rootDir,
    clientPublicKey: '',
    dir,
    get port() {
      return port;
    },
    async start(authorizedKeysCommand) {
      if (sshd !== null) throw new Error('sshd is already running');
      // The privilege-separation directory sshd insists on; the system's own, left in place.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
      for (let attempt = 0; ; attempt++) {
        port = await freePort();
        const config = join(dir, 'sshd_config');
        writeFileSync(
          config,
          [
            'ListenAddress 127.0.0.1',
            `Port ${port}`,
            `HostKey ${join(dir, 'host_ed25519')}`,
            `PidFile ${join(dir, 'sshd.pid')}`,
            'UsePAM no',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'PubkeyAuthentication yes',
            'PermitRootLogin no',
            'AuthorizedKeysFile none',
            `AuthorizedKeysCommand ${authorizedKeysCommand}`,
            `AuthorizedKeysCommandUser ${gateUser}`,
            'StrictModes yes',
            'LogLevel VERBOSE',
            '',
          ].join('\n'),
          { mode: 0o600 },
        );
        stderr = '';
        const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
        sshd = child;
        child.stderr!.on('data', (d) => (stderr += d));
        exited = new Promise((resolve) => child.once('exit', () => resolve()));
        let gone = false;
        void exited.then(() => (gone = true));
        for (let i = 0; i < 200 && !gone; i++) {
          if (await accepts(port)) return;
          await pause(50);
        }
        sshd = null;
        child.kill('SIGTERM');
        await exited;
        // Another process may have taken the port between its check and sshd's bind.
        if (attempt >= 2 || !/Address already in use/.test(stderr)) throw new Error(`sshd did not start: ${stderr}`);
      }
    },
    login(user = loginUser) {
      const args = [
        '-F', '/dev/null',
        '-i', join(dir, 'client_ed25519'),
        '-p', String(port),
        '-o', 'BatchMode=yes',
        '-o', 'StrictHostKeyChecking=no',
        '-o', 'UserKnownHostsFile=/dev/null',
        '-o', 'IdentitiesOnly=yes',
        '-o', 'ConnectTimeout=20',
        '-o', 'LogLevel=ERROR',
        `${user}@127.0.0.1`,
        'true',
      ];
      return new Promise((resolve) => {
        const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stderr: err });
        });
      });
    },
    log: () => stderr,
    async stop() {
      const child = sshd;
      sshd = null;
      if (child === null) return;
      child.kill('SIGTERM');
      await exited;
    },
    cleanup,
  };

  try {
    run('useradd', ['-m', '-s', '/bin/sh', loginUser]);
    users.push(loginUser);
    // useradd leaves the password "!", which OpenSSH takes for a locked account; "*" matches no password.
    run('usermod', ['-p', '*', loginUser]);
    run('useradd', ['--system', '--no-create-home', '-s', '/usr/sbin/nologin', gateUser]);
    users.push(gateUser);
    fixture.gateGroup = run('id', ['-gn', gateUser]).trim();
    fixture.gateUid = Number(run('id', ['-u', gateUser]));
    fixture.gateGid = Number(run('id', ['-g', gateUser]));
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'accessctl-test-host', '-f', join(dir, 'host_ed25519')]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'accessctl-test-client', '-f', join(dir, 'client_ed25519')]);
    fixture.clientPublicKey = readFileSync(join(dir, 'client_ed25519.pub'), 'utf8');
    mkdirSync(rootDir, { mode: 0o755 });
    chmodSync(rootDir, 0o755);
  } catch (e) {
    for (const user of users.splice(0)) spawnSync('userdel', ['-r', user]);
    rmSync(rootDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return fixture;
}

/**
 * An accessctl the gate account can run, installed under the fixture's root directory as a
 * package would be: bin/ and the built bundle (no node_modules: asking a gate opens no store).
 * The checkout and this Node may sit where other accounts cannot reach (CI's second leg runs a
 * Node under root's cache from a 0700 copy); then Node itself is copied too. Returns the command.
 */
export function installAccessctl(fixture: SshFixture, root: string): string {
  const home = join(fixture.rootDir, 'accessctl');
  for (const sub of ['', 'bin', 'dist']) mkdirSync(join(home, sub), { mode: 0o755 });
  for (const file of ['bin/accessctl', 'bin/launch.cjs', 'bin/package.json', ...readdirSync(join(root, 'dist')).map((f) => `dist/${f}`)]) {
    if (existsSync(join(root, file))) installRootFile(join(home, file), readFileSync(join(root, file)), file === 'bin/accessctl' ? 0o755 : 0o644);
  }
  let node = process.execPath;
  const runs = spawnSync(node, ['-e', ''], { uid: fixture.gateUid, gid: fixture.gateGid, cwd: '/' });
  if (runs.status !== 0) {
    node = join(home, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  const command = join(fixture.rootDir, 'accessctl-command');
  installRootFile(command, `#!/bin/sh\nexec '${node}' '${join(home, 'bin', 'accessctl')}' "$@"\n`, 0o755);
  return command;
}

/** Writes a root-owned file under the fixture's root directory (0644, or 0755 for a script). */
export function installRootFile(path: string, text: string | Buffer, mode = 0o644): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}
