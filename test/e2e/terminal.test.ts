import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/spawn.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

/**
 * What a person sees, pinned in a real terminal (tmux) at 80 and 200 columns. The real clock runs:
 * a 2h TTL read a moment later must still say "in 2h".
 */
let dir: string;
let env: Record<string, string>;
const terminals: Terminal[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-tty-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'operator' };
  const ok = (args: string[]) => expect(cli(args, { env }).code, args.join(' ')).toBe(0);
  ok(['user', 'create', '-e', 'ada@example.com', '--first', 'Ada', '--last', 'Lovelace']);
  ok(['user', 'create', '-e', 'grace.hopper@example.com', '--first', 'Grace', '--last', 'Hopper']);
  ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal.example.com', '--tcp', '5432']);
  ok(['service', 'create', '-n', 'ci-pipeline', '-r', 'prod-db']);
  ok(['group', 'create', '-g', 'incident-2026-11-22', '-u', 'ada@example.com,grace.hopper@example.com', '-r', 'prod-db', '--services', 'ci-pipeline', '--ttl', '2h']);
  ok(['group', 'create', '-g', 'dba-oncall', '-u', 'grace.hopper@example.com', '-r', 'prod-db']);
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux).each([80, 200])('a terminal %i columns wide', (width) => {
  /** Runs in tmux; returns the screen's logical lines (wrapped ones joined) after checking none wrapped. */
  const see = async (args: string[]) => {
    const t = new Terminal(dir, args, { ...env, TERM: 'xterm-256color', NO_COLOR: '1' }, { width, height: 60 });
    terminals.push(t);
    expect(await t.exitCode()).toBe(0);
    const lines = t.logicalLines().map((l) => l.trimEnd());
    for (const line of lines) expect(stringWidth(line), `wrapped at ${width}: ${line}`).toBeLessThanOrEqual(width);
    return { lines, t };
  };

  it('group show: one `field  value` line per field, "in 2h" for a 2h TTL', async () => {
    const { lines } = await see(['group', 'show', 'incident-2026-11-22']);
    // Eleven fields (request, the group's request policy, empty here); users takes a line per
    // member (two), each with its own start.
    expect(lines.filter((l) => l !== '')).toHaveLength(12);
    expect(lines).toContain('request');
    expect(lines.filter((l) => /^( {11}|users {6})(ada|grace\.hopper)@example\.com {2}since \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.test(l))).toHaveLength(2);
    expect(lines).toContain('name       incident-2026-11-22');
    expect(lines.find((l) => l.startsWith('expiresAt'))).toMatch(/^expiresAt {2}\d{4}-\d{2}-\d{2}T[\d:.]+Z \(in 2h\)$/);
    expect(lines.join('\n')).not.toMatch(/[┌│└]/);
  });

  it('user create: ACTIVE is one word on one line', async () => {
    const { lines } = await see(['user', 'create', '-e', 'barbara.liskov@example.com', '--first', 'Barbara', '--last', 'Liskov']);
    expect(lines).toContain('state      ACTIVE');
  });

  it('key create: the token whole on a line of its own, "in 90d" for -e 90, and one warning', async () => {
    const { lines, t } = await see(['key', 'create', '-i', 'ci-pipeline', '-n', 'deploy', '-e', '90']);
    // The raw screen (not joined): the token sits on one screen line, alone.
    expect(t.screen().split('\n').filter((l) => /^ack_[0-9A-Za-z]{38}\s*$/.test(l))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('expiresAt'))).toMatch(/\(in 90d\)$/);
    expect(lines.filter((l) => l.includes('will not be shown again'))).toHaveLength(1);
  });

  it('audit list: one screen line per event, no hash or raw details by default', async () => {
    const events = JSON.parse(cli(['-f', 'json', 'audit', 'list'], { env }).stdout) as unknown[];
    const { lines } = await see(['audit', 'list']);
    expect(lines.filter((l) => /^│ \d+ +│/.test(l))).toHaveLength(events.length);
    expect(lines[1]).toMatch(/^│ seq │ at +│ actor +│ action +│ targetId +│$/);
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{64}/);
  });

  it('access list -r: one line per path, fitted; --wide shows every column', async () => {
    const { lines } = await see(['access', 'list', '-r', 'prod-db']);
    const rows = lines.filter((l) => /^│ (ada|grace|ci-)/.test(l));
    expect(rows).toHaveLength(5); // ada 1, grace 2 (two groups), ci-pipeline 2 (direct and group)
    if (width === 200) {
      // --wide: every column, every cell whole; the lines run past the edge (as kubectl -o wide).
      const t = new Terminal(dir, ['access', 'list', '-r', 'prod-db', '--wide'], { ...env, TERM: 'xterm-256color', NO_COLOR: '1' }, { width, height: 60 });
      terminals.push(t);
      expect(await t.exitCode()).toBe(0);
      const wide = t.logicalLines();
      expect(wide[1]).toContain('subjectType');
      expect(wide[1]).toContain('limitedBy');
      expect(wide.join('\n')).toContain('db.prod.internal.example.com');
    }
  });
});

describe('piped or redirected', () => {
  it('a table prints every column uncut, whatever COLUMNS says', () => {
    const r = cli(['access', 'list', '-r', 'prod-db'], { env: { ...env, COLUMNS: '80' } });
    const header = r.stdout.split('\n')[1]!;
    for (const field of ['subjectType', 'subjectId', 'resourceId', 'address', 'limitedBy', 'reason']) expect(header).toContain(field);
    expect(r.stdout).toContain('db.prod.internal.example.com');
    expect(r.stdout).not.toContain('…');
  });
});

describe('global options after the verb, help, hints', () => {
  it('-s, --db, --actor, --wide work after the verb; audit list keeps its own --actor', () => {
    expect(cli(['user', 'create', '-e', 'ops@example.com', '-s', 'prod', '--actor', 'deployer'], { env }).code).toBe(0);
    expect(JSON.parse(cli(['-s', 'prod', '-f', 'json', 'user', 'list'], { env }).stdout)).toHaveLength(1);
    expect(JSON.parse(cli(['user', 'list', '-f', 'json', '--session', 'prod'], { env }).stdout)).toHaveLength(1);
    const events = JSON.parse(cli(['-s', 'prod', '-f', 'json', 'audit', 'list', '--actor', 'deployer'], { env }).stdout);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['user.create']);
    expect(JSON.parse(cli(['-s', 'prod', '-f', 'json', 'audit', 'list', '--actor', 'operator'], { env }).stdout)).toEqual([]);
  });

  it('accessctl help <noun> [verb] is that command\'s --help', () => {
    const help = cli(['help', 'group', 'create'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(cli(['group', 'create', '--help'], { env }).stdout);
    expect(help.stdout).toMatch(/^Usage: accessctl group create/);
    expect(cli(['help', 'key'], { env }).stdout).toMatch(/^Usage: accessctl key/);
  });

  it('an unknown option says where to look', () => {
    const r = cli(['user', 'list', '--sesion', 'prod'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("accessctl: unknown option '--sesion' (did you mean '--session'?)\n");
    expect(cli(['user', 'list', '--serach', 'ada'], { env }).stderr).toBe("accessctl: unknown option '--serach' (did you mean '--search'?)\n");
  });
});

describe('an idempotent script, as a user would write it', () => {
  it('re-run three times: exit 0 each time, the same state at the end', () => {
    const script = join(dir, 'grant.sh');
    writeFileSync(
      script,
      `#!/bin/sh
set -eu
ac() { "${process.execPath}" "${BIN}" "$@"; }
ac -q user create -e dev@example.com --first Dev --if-not-exists >/dev/null
ac -q resource create -n staging-db -a db.staging.internal --tcp 5432 --if-not-exists >/dev/null
ac -q service create -n nightly-etl --if-not-exists >/dev/null
ac -q group create -g staging-access -u dev@example.com -r staging-db --services nightly-etl --if-not-exists >/dev/null
ac -q group add-users -g staging-access -u dev@example.com >/dev/null
ac -y -q user delete contractor@example.com --ignore-not-found >/dev/null
ac -y -q group delete old-staging-access --ignore-not-found >/dev/null
ac access check --user dev@example.com -r staging-db >/dev/null
`,
    );
    const state = () =>
      ['user', 'resource', 'service', 'group'].map((noun) => cli(['-f', 'csv', '--columns', noun === 'user' ? 'id,email' : 'id,name', noun, 'list'], { env }).stdout).join('');
    const runs = [1, 2, 3].map(() => spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } }));
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const after = state();
    expect(spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } }).status).toBe(0);
    expect(state()).toBe(after);
    const creates = JSON.parse(cli(['-f', 'json', 'audit', 'list', '--action', '*.create'], { env }).stdout) as Array<{ targetId: string }>;
    expect(new Set(creates.map((e) => e.targetId)).size).toBe(creates.length);
  });
});
