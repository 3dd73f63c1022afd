import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { cli, cliAsync, ROOT } from '../helpers/spawn.js';
import { DIALECT, e2eStore, removeE2eStore } from '../helpers/e2e-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-flow-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The seed flow and the examples use the default store, a SQLite file under ACCESSCTL_HOME / HOME.
describe.skipIf(DIALECT === 'postgres')('the seed flow, verbatim', () => {
  it('create, delete, then show prints an empty list with exit 3', () => {
    const env = { ACCESSCTL_HOME: dir };
    const u1 = cli(['-s', 'BlackSnake', '-q', 'user', 'create', '-e', 'u1@example.com'], { env }).stdout.trim();
    const u2 = cli(['-s', 'BlackSnake', '-q', 'user', 'create', '-e', 'u2@example.com'], { env }).stdout.trim();
    const r1 = cli(['-s', 'BlackSnake', '-q', 'resource', 'create', '-n', 'r1', '-a', 'r1.internal'], { env }).stdout.trim();
    const created = cli(['-s', 'BlackSnake', '-f', 'CSV', 'group', 'create', '-g', 'My Ephemeral Group', '-u', `${u1},${u2}`, '-r', r1], { env });
    expect(created.code).toBe(0);
    const [header, row] = created.stdout.trim().split('\n');
    // requestPolicy (SPEC section 3): empty for a group that takes no requests. links: each
    // member's and resource's start and expiry, as group show and add-users print them.
    expect(header).toBe('id,name,type,isActive,expiresAt,users,resources,services,requestPolicy,links,createdAt,updatedAt');
    const grp = row!.split(',')[0]!;
    expect(row).toContain(`,My Ephemeral Group,MANUAL,true,,${[u1, u2].sort().join(';')},${r1},,`);
    const deleted = cli(['-s', 'BlackSnake', '-f', 'CSV', 'group', 'delete', '-i', grp], { env });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.split('\n')[1]).toMatch(new RegExp(`^${grp},My Ephemeral Group,`));
    const shown = cli(['-s', 'BlackSnake', '-f', 'CSV', 'group', 'show', '-i', grp], { env });
    // group show carries each link's start and expiry (SPEC section 7), as create did.
    expect(shown).toEqual({ code: 3, stdout: `${header}\n`, stderr: `accessctl: group "${grp}" not found (see accessctl group list)\n` });
  });

  it.each(['ephemeral-access.sh', 'ci-service-key.sh', 'gitops.sh'])('examples/%s runs clean', (script) => {
    const r = spawnSync('bash', [join(ROOT, 'examples', script)], { env: { PATH: process.env.PATH ?? '', HOME: dir }, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.status).toBe(0);
  });
});

describe('many processes on one store', () => {
  it('ephemeral groups created and deleted by 4 processes while another sweeps: all exit 0, state as expected', async () => {
    const db = e2eStore(dir, 'shared.db');
    onTestFinished(() => removeE2eStore(db));
    const env = { ACCESSCTL_DB: db };
    const users: string[] = [];
    expect(cli(['db', 'init', '--allow-clock-override'], { env }).code).toBe(0);
    for (let i = 0; i < 4; i++) users.push(cli(['-q', 'user', 'create', '-e', `w${i}@example.com`], { env }).stdout.trim());
    cli(['resource', 'create', '-n', 'db', '-a', 'db.internal'], { env });
    const past = { ...env, ACCESSCTL_NOW: '2020-01-01T00:00:00Z' };
    const worker = async (w: number) => {
      const results = [];
      for (let i = 0; i < 6; i++) {
        const name = `w${w}-g${i}`;
        // even groups are created "in the past" with a TTL, so they are already expired for the sweeper
        const create = await cliAsync(['-q', 'group', 'create', '-g', name, '-u', users[w]!, '-r', 'db', '--ttl', '1h'], { env: i % 2 === 0 ? past : env });
        results.push(create);
        if (i % 4 === 1) results.push(await cliAsync(['group', 'delete', '-i', name], { env }));
      }
      return results;
    };
    const sweeper = async () => {
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await cliAsync(['-f', 'json', 'sweep'], { env }));
      return results;
    };
    const all = (await Promise.all([worker(0), worker(1), worker(2), worker(3), sweeper()])).flat();
    for (const r of all) expect(r.stderr).toBe('');
    expect(all.every((r) => r.code === 0)).toBe(true);
    await cliAsync(['sweep'], { env });
    const left = JSON.parse(cli(['-f', 'json', 'group', 'list'], { env }).stdout).map((g: { name: string }) => g.name).sort();
    const expected: string[] = [];
    for (let w = 0; w < 4; w++) expected.push(`w${w}-g3`);
    expect(left).toEqual(expected.sort());
    expect(JSON.parse(cli(['-f', 'json', 'group', 'list', '--expired'], { env }).stdout)).toEqual([]);
    const verify = cli(['-f', 'json', 'audit', 'verify'], { env });
    expect(verify.code).toBe(0);
    const events = JSON.parse(cli(['-f', 'json', 'audit', 'list', '--action', '*group*'], { env }).stdout) as Array<{ action: string }>;
    expect(events.filter((e) => e.action === 'group.create')).toHaveLength(24);
    expect(events.filter((e) => e.action === 'group.delete' || e.action === 'sweep.group.delete')).toHaveLength(20);
  });
});
