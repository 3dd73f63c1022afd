import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT } from '../helpers/spawn.js';

/**
 * Every example script runs, and runs next to a store that was there before it: the caller's
 * ACCESSCTL_HOME (and its store) must survive, still valid, with what it held. A script removes
 * only what it created itself.
 */
const scripts = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.sh')).sort();

describe('examples/*.sh against an ACCESSCTL_HOME that already holds a store', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('finds the example scripts', () => {
    expect(scripts).toContain('ci-service-key.sh');
    expect(scripts.length).toBeGreaterThanOrEqual(5);
  });

  it.each(scripts)('%s exits 0 and leaves the caller\'s store in place and sound', (script) => {
    const home = mkdtempSync(join(tmpdir(), 'accessctl-example-home-'));
    const work = mkdtempSync(join(tmpdir(), 'accessctl-example-work-'));
    dirs.push(home, work);
    const env = { ACCESSCTL_HOME: home };
    const store = join(home, 'default.db');
    const uid = cli(['-q', 'user', 'create', '-e', 'existing@example.com'], { env });
    expect(uid.code, uid.stderr).toBe(0);
    expect(cli(['-q', 'resource', 'create', '-n', 'existing-db', '-a', 'existing.internal'], { env }).code).toBe(0);

    const r = spawnSync('bash', [join(ROOT, 'examples', script)], {
      cwd: work,
      encoding: 'utf8',
      timeout: 240_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        ACCESSCTL_HOME: home,
        ACCESSCTL_ACTOR: 'examples',
        // ship-audit.sh: where its cursor and the shipped log go, and which accessctl to run.
        STATE: join(work, 'shipped-seq'),
        OUT: join(work, 'audit.ndjson'),
        ACCESSCTL: BIN,
      },
    });
    expect(r.status, `${script}: ${r.stderr.slice(-2000)}`).toBe(0);
    expect(existsSync(home)).toBe(true);
    expect(existsSync(store)).toBe(true);
    const check = cli(['db', 'check'], { env });
    expect(check.code, check.stderr).toBe(0);
    const users = JSON.parse(cli(['-f', 'json', 'user', 'show', 'existing@example.com'], { env }).stdout) as Array<{ id: string }>;
    expect(users.map((u) => u.id)).toEqual([uid.stdout.trim()]);
    expect(cli(['-q', 'resource', 'show', 'existing-db'], { env }).code).toBe(0);
  }, 300_000);
});
