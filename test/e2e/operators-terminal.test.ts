import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

/** What a person sees in a real terminal (tmux) at 80 and 200 columns: tables read by name. */
let dir: string;
let env: Record<string, string>;
const terminals: Terminal[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-names-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'operator' };
  const ok = (args: string[]) => expect(cli(args, { env }).code, args.join(' ')).toBe(0);
  ok(['user', 'create', '-e', 'grace.hopper.rear-admiral@navy.example.com', '--first', 'Grace', '--last', 'Hopper']);
  ok(['user', 'create', '-e', 'u1@example.com']);
  ok(['resource', 'create', '-n', 'tty-db', '-a', 'tty-db.internal.example.com']);
  ok(['service', 'create', '-n', 'ci-pipeline-for-the-monorepo']);
  ok(['key', 'create', '-i', 'ci-pipeline-for-the-monorepo', '-n', 'deploy-blue-green']);
  ok(['key', 'create', '-i', 'ci-pipeline-for-the-monorepo', '-n', 'deploy2']);
  ok(['group', 'create', '-g', 'database-administrators-on-call', '-u', 'grace.hopper.rear-admiral@navy.example.com,u1@example.com', '-r', 'tty-db', '--ttl', '2h']);
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux).each([80, 200])('a terminal %i columns wide', (width) => {
  const see = async (args: string[], extra: Record<string, string> = {}) => {
    const t = new Terminal(dir, args, { ...env, TERM: 'xterm-256color', NO_COLOR: '1', LANG: 'C.UTF-8', ...extra }, { width, height: 60 });
    terminals.push(t);
    const code = await t.exitCode();
    const lines = t.logicalLines().map((l) => l.trimEnd());
    // The table fits; an error message on stderr may wrap like any other.
    for (const line of lines.filter((l) => !l.startsWith('accessctl: '))) expect(stringWidth(line), `wrapped at ${width}: ${line}`).toBeLessThanOrEqual(width);
    return { code, lines, text: lines.join('\n') };
  };

  it('key list: every key name whole, no random ids', async () => {
    const { text } = await see(['key', 'list']);
    expect(text).toContain(' deploy-blue-green ');
    expect(text).toContain(' deploy2 ');
    expect(text).toContain(' ci-pipeline-for-the-monorepo ');
    expect(text).not.toMatch(/key_\w{16}|svc_\w{16}/);
  });

  it('key list and audit list: a time is whole or its column is named below, never cut', async () => {
    for (const args of [['key', 'list'], ['audit', 'list']]) {
      const { lines } = await see(args);
      // A time cell: the relative form, then the minute it is, in UTC; nothing of it cut.
      for (const l of lines.filter((x) => /\d{4}-\d\d/.test(x))) expect(l, args.join(' ')).toMatch(/ \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\) +│/);
      expect(lines.join('\n')).not.toMatch(/\((\d{4}-[\d-]*( [\d:]*)?)?…|(ago|in \d+\w+) ?…/);
      const head = lines.find((l) => /^│ (serviceName|seq) /.test(l))!;
      // lastUsedAt is empty: it is dropped and named rather than taking room from a time.
      if (args[0] === 'key' && !head.includes('lastUsedAt')) expect(lines.at(-1)).toMatch(/^\(not shown: .*lastUsedAt.*--wide/);
    }
  });

  it('user list: emails whole; what does not fit is named with --wide', async () => {
    const { lines, text } = await see(['user', 'list']);
    expect(text).toContain('│ grace.hopper.rear-admiral@navy.example.com │');
    expect(text).not.toMatch(/usr_\w{16}/);
    // Every short column, or a last line naming the ones left out.
    expect(lines.find((l) => l.startsWith('│ email'))).toMatch(/│ state +│$/);
    expect(lines.at(-1)).toMatch(/^└/);
  });

  it('access list -r tty-db: emails whole, tty-db not repeated on each row', async () => {
    const { lines } = await see(['access', 'list', '-r', 'tty-db']);
    const rows = lines.filter((l) => /^│ (grace|u1)/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('grace.hopper.rear-admiral@navy.example.com');
    for (const row of rows) expect(row).not.toContain('tty-db');
    if (width === 200) expect(rows[0]).toMatch(/in 2h \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
  });

  it('access check: allowed or denied, in words, with the path or the reason, not the question again', async () => {
    const allowed = await see(['access', 'check', '--user', 'u1@example.com', '-r', 'tty-db']);
    expect(allowed.code).toBe(0);
    // The group and the expiry whole, at 80 columns too: the user and resource asked about are not repeated.
    expect(allowed.text).toMatch(width === 200 ? /│ allowed +│ group │ database-administrators-on-call │ in 2h \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\) │/ : /│ allowed +│ group │ database-administrators-on-call │ in 2h +│/);
    expect(allowed.lines.find((l) => l.startsWith('│ decision'))).toMatch(/^│ decision │ via +│ groupName +│ expiresAt +│$/);
    expect(allowed.text).not.toMatch(/u1@example\.com|tty-db|…/);
    const denied = await see(['access', 'check', '--service', 'ci-pipeline-for-the-monorepo', '-r', 'tty-db']);
    expect(denied.code).toBe(5);
    expect(denied.lines.find((l) => l.startsWith('│ decision'))).toMatch(/^│ decision │ reason +│$/);
    expect(denied.text).toMatch(/│ denied +│ no grant/);
  });

  it('service show: resources and groups by name, with their own times', async () => {
    expect(cli(['service', 'add-resources', '-i', 'ci-pipeline-for-the-monorepo', '-r', 'tty-db', '--ttl', '3h'], { env }).code).toBe(0);
    expect(cli(['group', 'add-services', '-g', 'database-administrators-on-call', '--services', 'ci-pipeline-for-the-monorepo'], { env }).code).toBe(0);
    const { text } = await see(['service', 'show', 'ci-pipeline-for-the-monorepo']);
    expect(text).toMatch(/\nresources +tty-db {2}until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 3h\), from /);
    expect(text).toMatch(/\ngroups +database-administrators-on-call {2}since \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(text).not.toMatch(/(res|grp)_\w{16}/);
  });

  it('group show: each member and resource by name, with its own times', async () => {
    const { text } = await see(['group', 'show', 'database-administrators-on-call']);
    expect(text).toMatch(/\nusers +grace\.hopper\.rear-admiral@navy\.example\.com {2}since \d{4}-\d\d-\d\d \d\d:\d.*\n +u1@example\.com {2}since/);
    if (width === 200) expect(text).toMatch(/@navy\.example\.com {2}since \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(text).toMatch(/\nresources +tty-db {2}since /);
  });

  it('group show: a member with its own expiry keeps the relative time at 80 columns', async () => {
    expect(cli(['group', 'add-users', '-g', 'database-administrators-on-call', '-u', 'u1@example.com', '--ttl', '4h'], { env }).code).toBe(0);
    const { text } = await see(['group', 'show', 'database-administrators-on-call']);
    expect(text).toMatch(/\n +u1@example\.com {2}until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 4h\)/);
  });

  it('group create and update: members and resources by name, as group show prints them', async () => {
    const created = await see(['group', 'create', '-g', 'night-shift', '-u', 'u1@example.com', '-r', 'tty-db']);
    expect(created.code).toBe(0);
    const updated = await see(['group', 'update', 'night-shift', '--ttl', '4h']);
    expect(updated.code).toBe(0);
    for (const { text } of [created, updated]) {
      expect(text).toMatch(/\nusers +u1@example\.com {2}since /);
      expect(text).toMatch(/\nresources +tty-db {2}since /);
      expect(text).not.toMatch(/(usr|res)_\w{16}/);
    }
  });

  it('key report: a key without findings shows none, not "0"', async () => {
    expect(cli(['-y', 'key', 'revoke', 'deploy2'], { env }).code).toBe(0);
    const { lines } = await see(['key', 'report']);
    const revoked = lines.find((l) => l.includes(' deploy2 '));
    expect(revoked).toMatch(/│ REVOKED │/);
    // At 80 columns the long service name leaves no room for findings, and the last line says so.
    if (width === 200 || lines.find((l) => l.startsWith('│ serviceName'))!.endsWith('findings │')) expect(revoked).toMatch(/│ +│$/);
  });

  it('user import: each change by line and name, no id column', async () => {
    const { code, lines } = await see(['user', 'import', join(process.cwd(), 'examples', 'onboarding-users.csv')]);
    expect(code).toBe(0);
    expect(lines.find((l) => l.startsWith('│ line'))).toMatch(/^│ line │ action │ name +│ changes/);
    expect(lines.join('\n')).not.toMatch(/usr_\w{16}/);
  });
});
