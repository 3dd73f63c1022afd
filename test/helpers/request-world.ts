import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, type SpawnResult } from './spawn.js';
import { setRequestPolicy } from './request-policy.js';
import type { PolicyInput } from '../../src/domain/request-policy.js';

/**
 * A store with people for the request flows: ada asks, bob and carol approve (members of
 * `approvers`), dave is linked but approves nothing. The test process owns the store file, so
 * SUDO_USER names who is acting, as it does for operators under `sudo -u accessctl`.
 */
export interface RequestWorld {
  dir: string;
  db: string;
  /** Runs accessctl as `login` (SUDO_USER), with the store given. */
  as(login: string, args: string[], env?: Record<string, string>): SpawnResult;
  /** The same with -f json, parsed (the first record). */
  json(login: string, args: string[], env?: Record<string, string>): Record<string, unknown>;
  policy(group: string, approvers: string | null, input?: PolicyInput): Promise<void>;
}

export function requestWorld(): RequestWorld {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-req-'));
  const db = join(dir, 'store.db');
  const as = (login: string, args: string[], env: Record<string, string> = {}) => cli(['--db', db, ...args], { env: { SUDO_USER: login, ...env } });
  const admin = (args: string[]) => {
    const r = as('root', args);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
  };
  admin(['-q', 'db', 'init', '--allow-clock-override']);
  for (const name of ['ada', 'bob', 'carol', 'dave']) {
    admin(['-q', 'user', 'create', '-e', `${name}@example.com`]);
    admin(['-q', 'user', 'update', `${name}@example.com`, '--login', name]);
  }
  admin(['-q', 'resource', 'create', '-n', 'db', '-a', 'db.internal']);
  admin(['-q', 'group', 'create', '-g', 'prod', '-r', 'db']);
  admin(['-q', 'group', 'create', '-g', 'approvers', '-u', 'bob@example.com,carol@example.com']);
  return {
    dir,
    db,
    as,
    json(login, args, env) {
      const r = as(login, ['-f', 'json', ...args], env);
      expect(r.stderr.replace(/^note: .*\n/gm, ''), `${login}: ${args.join(' ')}`).toBe('');
      expect(r.code, `${login}: ${args.join(' ')}`).toBe(0);
      return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!;
    },
    policy: (group, approvers, input = {}) => setRequestPolicy(db, group, approvers, input),
  };
}

/** `access check` as the gate asks it: exit 0 allowed, 5 denied. */
export function canReach(w: RequestWorld, user: string, env: Record<string, string> = {}): number {
  return w.as('root', ['-q', 'access', 'check', '--user', `${user}@example.com`, '-r', 'db'], env).code;
}

/** db check replays the log and compares every table: clean after every flow. */
export function expectCleanStore(w: RequestWorld): void {
  const check = w.as('root', ['-f', 'json', 'db', 'check']);
  expect(check.stdout + check.stderr).not.toMatch(/"ok":false/);
  expect(check.code).toBe(0);
  expect(w.as('root', ['audit', 'verify']).code).toBe(0);
}
