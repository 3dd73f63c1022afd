import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, dropDatabase, findPgBin, psql, removeCluster, startCluster, type Cluster } from '../helpers/pg-cluster.js';
import { cli } from '../helpers/spawn.js';

/**
 * TLS with libpq's meanings of sslmode (SPEC section 11), against a throwaway server with a
 * certificate from a throwaway CA (for "localhost" only) that refuses plain connections, and the
 * suite's server, which has no TLS at all. `psql` is asked the same where it makes the point.
 */

const certs = mkdtempSync(join(tmpdir(), 'accessctl-tls-'));
const home = mkdtempSync(join(tmpdir(), 'accessctl-tls-home-'));
let tlsServer: Cluster | null = null;
let db = '';
const dbs: string[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
}

/** A CA, a server certificate for "localhost" (not 127.0.0.1), a client certificate for role certuser, and an unrelated CA. */
function makeCertificates(): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=accessctl test CA']);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=some other CA']);
  writeFileSync(join(certs, 'server.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=certuser']);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2']);
}

const file = (name: string) => join(certs, name);
const env = () => ({ HOME: home, ACCESSCTL_ACTOR: 'tls-test' });
/** The test database's URL with `host` and URL parameters. */
function url(params: Record<string, string>, host = '127.0.0.1', user = 'postgres'): string {
  const u = new URL(db);
  u.hostname = host;
  u.username = user;
  u.search = '';
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
const list = (store: string) => cli(['--db', store, '-f', 'json', 'user', 'list'], { env: env() });

function expectOneLineExit6(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(6);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/WARNING|unexpected error|Deprecation/i);
}

describe.skipIf(findPgBin() === null)('sslmode as libpq means it, on a server with TLS that refuses plain connections', () => {
  beforeAll(async () => {
    makeCertificates();
    tlsServer = await startCluster(findPgBin()!, {
      // Plain TCP is refused; TLS logins are trusted, except certuser, who must show a certificate.
      hba: ['hostnossl all all 127.0.0.1/32 reject', 'hostssl all certuser 127.0.0.1/32 cert', 'hostssl all all 127.0.0.1/32 trust'],
      conf: { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key', ssl_ca_file: 'ca.crt' },
      files: { 'server.crt': readFileSync(file('server.crt'), 'utf8'), 'server.key': readFileSync(file('server.key'), 'utf8'), 'ca.crt': readFileSync(file('ca.crt'), 'utf8') },
    });
    db = createDatabase(`${tlsServer.baseUrl}postgres?sslmode=require`);
    psql(db, 'create role certuser login superuser');
    expect(cli(['--db', url({ sslmode: 'require' }), 'db', 'init'], { env: env() }).code).toBe(0);
  }, 120_000);
  afterAll(() => {
    if (tlsServer) removeCluster(tlsServer);
    rmSync(certs, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('require encrypts without verifying a self-signed chain, as psql does', () => {
    const r = list(url({ sslmode: 'require' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const viaPsql = spawnSync('psql', ['-X', '-A', '-t', '-d', url({ sslmode: 'require' }), '-c', 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'], { encoding: 'utf8' });
    expect(viaPsql.stdout.trim()).toBe('t');
  });

  it('prefer (and no sslmode: libpq\'s default) uses TLS; allow tries plain, is refused, and then uses TLS', () => {
    for (const params of [{ sslmode: 'prefer' }, {}, { sslmode: 'allow' }] as Array<Record<string, string>>) {
      const r = list(url(params));
      expect(r.code, `${JSON.stringify(params)}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
    }
  });

  it('disable: the server refuses the plain connection, exit 6 in one line', () => {
    expectOneLineExit6(list(url({ sslmode: 'disable' })), /refused the login/);
  });

  it('verify-ca checks the chain and not the name; verify-full checks the name too', () => {
    expect(list(url({ sslmode: 'verify-ca', sslrootcert: file('ca.crt') })).code).toBe(0);
    expectOneLineExit6(list(url({ sslmode: 'verify-ca', sslrootcert: file('other.crt') })), /TLS to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+ failed \(SELF_SIGNED_CERT_IN_CHAIN\)/);
    // The certificate names localhost, not 127.0.0.1.
    expectOneLineExit6(list(url({ sslmode: 'verify-full', sslrootcert: file('ca.crt') })), /TLS to PostgreSQL .* failed/);
    expect(list(url({ sslmode: 'verify-full', sslrootcert: file('ca.crt') }, 'localhost')).code).toBe(0);
    // Without a root certificate there is nothing to verify against.
    expectOneLineExit6(list(url({ sslmode: 'verify-full' }, 'localhost')), /sslmode=verify-full needs a root certificate/);
  });

  it('require with a root certificate verifies the chain, as libpq does', () => {
    expectOneLineExit6(list(url({ sslmode: 'require', sslrootcert: file('other.crt') })), /TLS to PostgreSQL .* failed/);
    expect(list(url({ sslmode: 'require', sslrootcert: file('ca.crt') })).code).toBe(0);
  });

  it('sslcert and sslkey log in with a client certificate; without them the server refuses', () => {
    expect(list(url({ sslmode: 'require', sslcert: file('client.crt'), sslkey: file('client.key') }, '127.0.0.1', 'certuser')).code).toBe(0);
    expectOneLineExit6(list(url({ sslmode: 'require' }, '127.0.0.1', 'certuser')), /refused the login/);
    expectOneLineExit6(list(url({ sslmode: 'require', sslcert: file('client.crt'), sslkey: file('missing.key') }, '127.0.0.1', 'certuser')), /cannot read sslkey file/);
  });

  it('an sslpassword is never printed: db path, errors', () => {
    const secret = 'Key-Pass-QQ77';
    const store = url({ sslmode: 'verify-full', sslrootcert: file('other.crt'), sslpassword: secret }, 'localhost');
    const path = cli(['--db', store, 'db', 'path'], { env: env() });
    expect(path.code).toBe(0);
    expect(path.stdout).toContain('sslpassword=***');
    const failed = list(store);
    expect(failed.code).toBe(6);
    expect(`${path.stdout}${failed.stderr}`).not.toContain(secret);
  });
});

describe('sslmode against a server without TLS (the suite\'s own)', () => {
  const base = inject('pgUrl');
  it('require: exit 6, one line, no driver warning; prefer falls back to plain; psql agrees', () => {
    const plainDb = createDatabase(base);
    dbs.push(plainDb);
    const withMode = (mode: string) => {
      const u = new URL(plainDb);
      u.searchParams.set('sslmode', mode);
      return u.toString();
    };
    expect(cli(['--db', withMode('prefer'), 'db', 'init'], { env: env() }).code).toBe(0);
    expectOneLineExit6(cli(['--db', withMode('require'), 'user', 'list'], { env: env() }), /^accessctl: TLS to PostgreSQL at \S+sslmode=require failed \(the server does not offer TLS\)/);
    expect(spawnSync('psql', ['-X', '-d', withMode('require'), '-c', 'select 1'], { encoding: 'utf8' }).status).not.toBe(0);
    for (const mode of ['prefer', 'allow', 'disable']) {
      const r = cli(['--db', withMode(mode), 'user', 'list'], { env: env() });
      expect(r.code, `${mode}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
    }
  });
  afterAll(() => {
    for (const u of dbs) dropDatabase(u);
  });
});
