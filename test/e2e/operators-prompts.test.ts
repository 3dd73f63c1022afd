import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/spawn.js';
import { hasTmux } from '../helpers/tmux.js';

/**
 * Prompts in a real terminal (tmux), with stdout piped where a person would pipe it. A bash
 * line, so that `| tee` runs as typed; waits poll for what should appear, never sleep.
 */
let dir: string;
let env: Record<string, string>;
const sockets: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-prompts-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'operator' };
  expect(cli(['user', 'create', '-e', 'victim@example.com'], { env }).code).toBe(0);
});
afterEach(() => {
  for (const s of sockets.splice(0)) spawnSync('tmux', ['-L', s, 'kill-server']);
  rmSync(dir, { recursive: true, force: true });
});

function shell(line: string, width = 100) {
  const socket = `accessctl-prompts-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  sockets.push(socket);
  const rc = join(dir, `rc-${socket}`);
  const exports = Object.entries({ ...env, LANG: 'C.UTF-8', TERM: 'xterm-256color' })
    .map(([k, v]) => `export ${k}='${v}';`)
    .join(' ');
  const script = `${exports} cd '${dir}'; ${line}; echo \${PIPESTATUS[0]} > '${rc}'; sleep 60`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-x', String(width), '-y', '30', 'bash', '-c', script);
  const screen = () => tmux('capture-pane', '-p');
  return {
    screen,
    keys: (...k: string[]) => tmux('send-keys', ...k),
    async waitFor(pattern: RegExp): Promise<string> {
      for (let i = 0; i < 400; i++) {
        const s = screen();
        if (pattern.test(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`never showed ${pattern}:\n${screen()}`);
    },
    async exitCode(): Promise<number> {
      for (let i = 0; i < 400; i++) {
        if (existsSync(rc) && readFileSync(rc, 'utf8').trim() !== '') return Number(readFileSync(rc, 'utf8'));
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`never finished:\n${screen()}`);
    },
  };
}

const node = `'${process.execPath}' '${BIN}'`;

describe.skipIf(!hasTmux)('confirmation whenever stdin is a terminal', () => {
  it('user delete | tee del.log asks; no cancels with exit 130 and deletes nothing', async () => {
    const t = shell(`${node} user delete victim@example.com | tee del.log`);
    await t.waitFor(/Delete 1 user\(s\): victim@example.com\?/);
    t.keys('n', 'Enter');
    expect(await t.exitCode()).toBe(130);
    expect(JSON.parse(cli(['-f', 'json', 'user', 'list'], { env }).stdout)).toHaveLength(1);
  });

  it('yes deletes, and the piped log holds the deleted user', async () => {
    const t = shell(`${node} user delete victim@example.com | tee del.log`);
    await t.waitFor(/Delete 1 user\(s\)/);
    t.keys('y', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(readFileSync(join(dir, 'del.log'), 'utf8')).toContain('victim@example.com');
    expect(JSON.parse(cli(['-f', 'json', 'user', 'list'], { env }).stdout)).toHaveLength(0);
  });
});

describe.skipIf(!hasTmux)('prompts ask again', () => {
  it('a confirmation answered neither yes nor no is asked again, not taken for no', async () => {
    const t = shell(`${node} user delete victim@example.com`);
    await t.waitFor(/Delete 1 user\(s\): victim@example.com\? \(y\/N\)/);
    t.keys('sure', 'Enter');
    await t.waitFor(/Answer y or n\./);
    t.keys('y', 'Enter');
    expect(await t.waitFor(/\? \(y\/N\) Yes/)).not.toContain('sure');
    expect(await t.exitCode()).toBe(0);
    expect(JSON.parse(cli(['-f', 'json', 'user', 'list'], { env }).stdout)).toHaveLength(0);
  });

  it('an invalid email at the prompt is asked for again, not fatal', async () => {
    const t = shell(`${node} user create`);
    await t.waitFor(/Email of the new user/);
    t.keys('not-an-email', 'Enter');
    await t.waitFor(/invalid email/i);
    t.keys('C-u');
    t.keys('ada@example.com', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(JSON.parse(cli(['-f', 'json', 'user', 'show', 'ada@example.com'], { env }).stdout)).toHaveLength(1);
  });

  it('the key expiry picker starts on the configured default', async () => {
    expect(cli(['service', 'create', '-n', 'ci'], { env }).code).toBe(0);
    const t = shell(`${node} key create`);
    await t.waitFor(/Service for the new key/);
    t.keys('Enter');
    const screen = await t.waitFor(/Key expiration/);
    expect(screen).toMatch(/❯ 365 days \(the default\)/);
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    const [key] = JSON.parse(cli(['-f', 'json', 'key', 'list'], { env }).stdout);
    expect(Date.parse(key.expiresAt) - Date.parse(key.createdAt)).toBe(365 * 86_400_000);
  });
});
