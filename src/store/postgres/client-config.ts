import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import { StoreError } from '../../domain/errors.js';

/**
 * The URL → driver translation, with libpq's meanings (SPEC section 11). The driver is never given
 * the connection string: it would treat `sslmode=require` as verify-full, print its own warnings on
 * stderr and read ~/.pgpass through a deprecated path that warns too.
 *
 * sslmode (default prefer, as libpq; a Unix socket never uses TLS):
 * - disable: plain. allow: plain, then TLS if the server refuses a plain connection.
 * - prefer: TLS without verification, then plain if the server does not offer TLS.
 * - require: TLS without verification, unless a root certificate is given (or
 *   ~/.postgresql/root.crt exists): then as verify-ca, which is what libpq does.
 * - verify-ca: the chain must lead to sslrootcert; the host name is not checked.
 * - verify-full: the chain and the host name. `sslrootcert=system` uses the system's CAs.
 * sslcert/sslkey (default ~/.postgresql/postgresql.crt/.key when present) give a client
 * certificate; sslpassword decrypts the key. PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY apply
 * when the URL does not say.
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** URL parameters this translation owns; the driver never sees them. */
const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslpassword', 'ssl', 'uselibpqcompat', 'sslcompression', 'sslnegotiation'];

export interface ConnectPlan {
  /** Everything but TLS, as the driver takes it. */
  base: ClientConfig;
  /** The TLS setting of each attempt, in order: false is a plain connection. */
  attempts: Array<false | ConnectionOptions>;
  mode: SslMode;
}

type Env = Record<string, string | undefined>;

export function connectPlan(url: string, parse: (url: string) => ClientConfig, env: Env = process.env): ConnectPlan {
  const u = new URL(url);
  const param = (name: string, envName: string): string | undefined => {
    const v = u.searchParams.get(name);
    if (v !== null && v !== '') return v;
    const e = env[envName];
    return e === undefined || e === '' ? undefined : e;
  };
  const modeText = param('sslmode', 'PGSSLMODE') ?? 'prefer';
  if (!MODES.includes(modeText as SslMode)) {
    throw new StoreError(`invalid sslmode ${JSON.stringify(modeText)}`, `use one of ${MODES.join(', ')}`);
  }
  let mode = modeText as SslMode;
  const rootParam = param('sslrootcert', 'PGSSLROOTCERT');
  const certParam = param('sslcert', 'PGSSLCERT');
  const keyParam = param('sslkey', 'PGSSLKEY');
  const passphrase = u.searchParams.get('sslpassword') ?? undefined;
  for (const p of SSL_PARAMS) u.searchParams.delete(p);
  const base = parse(u.toString());
  const host = typeof base.host === 'string' ? base.host : '';
  const socket = host === '' || host.startsWith('/');
  if (socket && mode !== 'verify-ca' && mode !== 'verify-full' && mode !== 'require') mode = 'disable';

  const home = join(homedir(), '.postgresql');
  const defaultRoot = join(home, 'root.crt');
  const rootFile = rootParam ?? (existsSync(defaultRoot) ? defaultRoot : undefined);
  // libpq: require with a root certificate at hand verifies the chain, as verify-ca.
  if (mode === 'require' && rootFile !== undefined) mode = 'verify-ca';
  if (rootParam === 'system' && mode !== 'disable' && mode !== 'allow' && mode !== 'prefer') mode = 'verify-full';

  const client: ConnectionOptions = {};
  const certFile = certParam ?? (existsSync(join(home, 'postgresql.crt')) ? join(home, 'postgresql.crt') : undefined);
  const keyFile = keyParam ?? (existsSync(join(home, 'postgresql.key')) ? join(home, 'postgresql.key') : undefined);
  if (mode !== 'disable' && certFile !== undefined && keyFile !== undefined) {
    client.cert = readPem(certFile, 'sslcert');
    client.key = readPem(keyFile, 'sslkey');
    if (passphrase !== undefined) client.passphrase = passphrase;
  } else if (mode !== 'disable' && certParam !== undefined) {
    throw new StoreError(`sslcert ${JSON.stringify(certParam)} is given without its key`, 'add sslkey=FILE to the URL');
  }

  const noVerify: ConnectionOptions = { ...client, rejectUnauthorized: false };
  const verified = (): ConnectionOptions => {
    if (rootFile === undefined) {
      throw new StoreError(`sslmode=${mode} needs a root certificate to verify the server against`, `add sslrootcert=FILE to the URL (or put it at ${defaultRoot}), or sslrootcert=system`);
    }
    const ca = rootFile === 'system' ? {} : { ca: readPem(rootFile, 'sslrootcert') };
    // The driver sets the name to check (SNI) from the host, as libpq does.
    return { ...client, ...ca, rejectUnauthorized: true };
  };
  let attempts: ConnectPlan['attempts'];
  switch (mode) {
    case 'disable':
      attempts = [false];
      break;
    case 'allow':
      attempts = [false, noVerify];
      break;
    case 'prefer':
      attempts = [noVerify, false];
      break;
    case 'require':
      attempts = [noVerify];
      break;
    case 'verify-ca':
      // The chain is checked by Node; the name is not (that is what verify-full adds).
      attempts = [{ ...verified(), checkServerIdentity: () => undefined }];
      break;
    case 'verify-full':
      attempts = [verified()];
      break;
  }
  return { base, attempts, mode };
}

/**
 * Whether the next attempt should be made after `err`: prefer falls back to plain when the server
 * offers no TLS (or the handshake fails); allow tries TLS when the plain login is refused.
 */
export function shouldFallBack(plan: ConnectPlan, err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (plan.mode === 'prefer') return /does not support SSL/i.test(message) || isTlsError(code);
  if (plan.mode === 'allow') return code === '28000';
  return false;
}

/** Node's and OpenSSL's codes for a failed TLS handshake or certificate check. */
export function isTlsError(code: string): boolean {
  return /^(ERR_TLS_|ERR_SSL_|EPROTO$|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|ERR_OSSL_|HOSTNAME_MISMATCH)/.test(code);
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new StoreError(`cannot read ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path in the PostgreSQL URL');
  }
}
