import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, type SpawnResult } from './spawn.js';

/**
 * A store for the review flows: ada and bob are members of `prod` (which gives db and web),
 * dave of `web-team` (web), carol of `reviewers`; the service ci has db directly and is a member
 * of `prod`. ada, bob, carol and dave are linked to their logins; mallory is a login with no
 * user. The test process owns the store, so SUDO_USER names who is acting.
 */
export interface ReviewWorld {
  dir: string;
  db: string;
  as(login: string, args: string[], env?: Record<string, string>): SpawnResult;
  /** -f json, parsed, checked for exit 0 and an empty stderr (notes aside). */
  json<T = Record<string, unknown>>(login: string, args: string[], env?: Record<string, string>): T;
  /** A new review's id. */
  start(login: string, args: string[], env?: Record<string, string>): string;
}

export function reviewWorld(): ReviewWorld {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-rev-'));
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
  admin(['-q', 'resource', 'create', '-n', 'web', '-a', 'web.internal']);
  admin(['-q', 'group', 'create', '-g', 'prod', '-r', 'db,web', '-u', 'ada@example.com,bob@example.com']);
  admin(['-q', 'group', 'create', '-g', 'web-team', '-r', 'web', '-u', 'dave@example.com']);
  admin(['-q', 'group', 'create', '-g', 'reviewers', '-u', 'carol@example.com']);
  admin(['-q', 'service', 'create', '-n', 'ci', '-r', 'db']);
  admin(['-q', 'group', 'add-services', '-g', 'prod', '--services', 'ci']);
  const json = <T>(login: string, args: string[], env?: Record<string, string>): T => {
    const r = as(login, ['-f', 'json', ...args], env);
    expect(r.stderr.replace(/^(note|closed): .*\n/gm, ''), `${login}: ${args.join(' ')}`).toBe('');
    expect(r.code, `${login}: ${args.join(' ')}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  return {
    dir,
    db,
    as,
    json,
    start: (login, args, env) => String(json<Array<{ id: string }>>(login, ['review', 'start', ...args], env)[0]!.id),
  };
}

export interface ExportedItem {
  item: number;
  kind: string;
  owner: string;
  subject: string;
  gives: Array<{ id: string; name: string }>;
  decision: string | null;
  decidedBy: string | null;
  decider: string | null;
  reason: string | null;
  outcome: string | null;
}

export interface Exported {
  review: Record<string, unknown> & { frozenSeq: number; frozenHash: string; closedSeq: number | null; closedHash: string | null };
  items: ExportedItem[];
}

/** db check replays the log and compares every table, reviews included: clean after every flow. */
export function expectCleanStore(w: ReviewWorld): void {
  const check = w.as('root', ['-f', 'json', 'db', 'check']);
  expect(check.stdout + check.stderr).not.toMatch(/"ok":false/);
  expect(check.code).toBe(0);
  expect(w.as('root', ['audit', 'verify']).code).toBe(0);
}

/** `access check` as a gate asks it: exit 0 allowed, 5 denied. */
export function reach(w: ReviewWorld, subject: string, resource: string): number {
  const who = subject.includes('@') ? ['--user', subject] : ['--service', subject];
  return w.as('root', ['-q', 'access', 'check', ...who, '-r', resource]).code;
}
