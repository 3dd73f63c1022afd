import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The newest PostgreSQL server binaries Debian installed, or null. */
export function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : null;
}

export interface Cluster {
  /** Superuser URL without a database name: append one. */
  baseUrl: string;
  port: number;
  dir: string;
  bin: string;
  stop(): void;
  start(): void;
}

/** A role that must give a password over TCP, for the refused-authentication tests. */
export const PASSWORD_ROLE = { user: 'accessctl_pw', password: 'S3cret-pw-ZZ' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a server binary as the postgres user when we are root (initdb refuses root). */
function asOwner(bin: string, args: string[]): void {
  const root = userInfo().uid === 0;
  const cmd = root ? 'runuser' : bin;
  const argv = root ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error}`);
}

/** Extra setup of a throwaway cluster: pg_hba.conf lines put first, postgresql.conf settings, files for the server (certificates). */
export interface ClusterOptions {
  hba?: string[];
  conf?: Record<string, string>;
  /** name → content, written into the data directory, owned by the server's user, mode 0600. */
  files?: Record<string, string>;
}

/** A throwaway cluster: trust for the superuser, a password role, TCP on 127.0.0.1 and a socket dir. */
export async function startCluster(bin: string, options: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-pg-'));
  if (userInfo().uid === 0) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  asOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, `${(options.hba ?? []).map((l) => `${l}\n`).join('')}host all ${PASSWORD_ROLE.user} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  const conf = Object.entries(options.conf ?? {}).map(([k, v]) => `${k} = '${v}'\n`);
  if (conf.length > 0) writeFileSync(join(data, 'postgresql.conf'), `${readFileSync(join(data, 'postgresql.conf'), 'utf8')}\n${conf.join('')}`);
  for (const [name, content] of Object.entries(options.files ?? {})) {
    const file = join(data, name);
    writeFileSync(file, content, { mode: 0o600 });
    if (userInfo().uid === 0) chownSync(file, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
  }
  const port = await freePort();
  const cluster: Cluster = {
    baseUrl: `postgres://postgres@127.0.0.1:${port}/`,
    port,
    dir,
    bin,
    start() {
      asOwner(join(bin, 'pg_ctl'), ['-w', '-D', data, '-l', join(dir, 'log'), '-o', `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -F`, 'start']);
    },
    stop() {
      asOwner(join(bin, 'pg_ctl'), ['-w', '-D', data, '-m', 'immediate', 'stop']);
    },
  };
  cluster.start();
  psql(cluster.baseUrl + 'postgres', `create role ${PASSWORD_ROLE.user} login password '${PASSWORD_ROLE.password}'`);
  return cluster;
}

export function removeCluster(cluster: Cluster): void {
  try {
    cluster.stop();
  } catch {
    // already stopped
  }
  rmSync(cluster.dir, { recursive: true, force: true });
}

function psqlBin(): string {
  const bin = findPgBin();
  if (bin && existsSync(join(bin, 'psql'))) return join(bin, 'psql');
  return 'psql';
}

/** Runs SQL through psql, synchronously; returns its unaligned output. */
export function psql(url: string, sql: string): string {
  const r = spawnSync(psqlBin(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The URL of `db` on the server at `base` (a URL naming any database). */
export function databaseUrl(base: string, db: string): string {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return url.toString();
}

let counter = 0;

/** A fresh, empty database for one test; drop it with dropDatabase. */
export function createDatabase(base: string): string {
  const name = `accessctl_t${process.pid}_${Date.now().toString(36)}_${counter++}`;
  psql(databaseUrl(base, 'postgres'), `create database ${name} template template0`);
  return databaseUrl(base, name);
}

export function dropDatabase(url: string): void {
  const name = new URL(url).pathname.slice(1);
  psql(databaseUrl(url, 'postgres'), `drop database if exists ${name} with (force)`);
}
