import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';
import { e2eStore, removeE2eStore } from '../helpers/e2e-store.js';

/**
 * The built binary on a real store file: a membership approved for later grants nothing before
 * its start and everything from it (SPEC section 4), and a group's request policy and a member's
 * start survive export and apply into an empty store (SPEC sections 12 and 15).
 */
let dir: string;
let env: Record<string, string>;
let stores: string[] = [];
/** A store of this leg's kind, removed after the test. */
const store = (name: string) => {
  const db = e2eStore(dir, name);
  stores.push(db);
  return db;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-start-'));
  const db = store('store.db');
  // The store opts into the clock override first (with the machine's clock), as a sandbox would.
  expect(cli(['db', 'init', '--allow-clock-override'], { env: { ACCESSCTL_DB: db } }).code).toBe(0);
  env = { ACCESSCTL_DB: db, ACCESSCTL_NOW: '2026-11-22T23:00:00Z' };
});
afterEach(() => {
  for (const db of stores) removeE2eStore(db);
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

const FILE = `users:
  - email: ada@example.com
resources:
  - name: prod-db
    address: db.prod.internal
groups:
  - name: sre-leads
  - name: prod
    request:
      approvers: sre-leads
      maxDuration: 2h
    members:
      - email: ada@example.com
        startsAt: 2026-11-23T01:00:00Z
        expiresAt: 2026-11-23T05:00:00Z
    resources: [prod-db]
`;

const at = (now: string) => ({ ...env, ACCESSCTL_NOW: now });
const check = (now: string, extra: string[] = []) => cli(['access', 'check', '--user', 'ada@example.com', '-r', 'prod-db', ...extra], { env: at(now) });

describe('a membership that starts later, through the built binary', () => {
  it('denies before the start, allows from it, in check, list and --batch', () => {
    writeFileSync(join(dir, 'access.yaml'), FILE);
    expect(cli(['apply', '-f', join(dir, 'access.yaml')], { env }).code).toBe(0);

    const before = check('2026-11-23T00:59:59Z');
    expect(before.code).toBe(5);
    expect(before.stderr).toContain('the membership in group prod starts at 2026-11-23T01:00:00.000Z');
    expect(check('2026-11-23T01:00:00Z').code).toBe(0);
    expect(check('2026-11-23T05:00:00Z').code).toBe(5);

    expect(cli(['-f', 'json', 'access', 'list', '--user', 'ada@example.com'], { env: at('2026-11-23T00:30:00Z') }).stdout.trim()).toBe('[]');
    expect(JSON.parse(cli(['-f', 'json', 'access', 'list', '--user', 'ada@example.com'], { env: at('2026-11-23T02:00:00Z') }).stdout)).toHaveLength(1);

    const ask = '{"user":"ada@example.com","resource":"prod-db"}\n';
    expect(JSON.parse(cli(['access', 'check', '--batch'], { env: at('2026-11-23T00:30:00Z'), stdin: ask }).stdout).allowed).toBe(false);
    expect(JSON.parse(cli(['access', 'check', '--batch'], { env: at('2026-11-23T02:00:00Z'), stdin: ask }).stdout).allowed).toBe(true);
    // --as-of and access diff: test/command/membership-start.test.ts (they read the log's times,
    // which here begin at the machine's clock).
  });

  it('export then apply into an empty store reproduces the start and the request policy', () => {
    writeFileSync(join(dir, 'access.yaml'), FILE);
    expect(cli(['apply', '-f', join(dir, 'access.yaml')], { env }).code).toBe(0);
    const exported = cli(['export'], { env });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('        startsAt: 2026-11-23T01:00:00.000Z\n        expiresAt: 2026-11-23T05:00:00.000Z\n');
    expect(exported.stdout).toContain('    request:\n      approvers: sre-leads\n      approvals: 1\n      maxDuration: 2h\n');

    const otherDb = store('other.db');
    expect(cli(['db', 'init', '--allow-clock-override'], { env: { ACCESSCTL_DB: otherDb } }).code).toBe(0);
    const other = { ACCESSCTL_DB: otherDb, ACCESSCTL_NOW: env.ACCESSCTL_NOW! };
    writeFileSync(join(dir, 'exported.yaml'), exported.stdout);
    expect(cli(['apply', '-f', join(dir, 'exported.yaml')], { env: other }).code).toBe(0);
    expect(cli(['export'], { env: other }).stdout).toBe(exported.stdout);
    expect(cli(['plan', '-f', join(dir, 'access.yaml')], { env: other }).code).toBe(0);
    const shown = JSON.parse(cli(['-f', 'json', 'group', 'show', 'prod'], { env: other }).stdout)[0];
    expect(shown.requestPolicy).toEqual({ approvers: 'sre-leads', approvals: 1, maxDuration: '2h', pendingTtl: '1d', requireReason: true, breakGlass: false });
  });
});
