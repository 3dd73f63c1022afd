import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

/**
 * SPEC section 9 on a terminal that cannot move the cursor (TERM=dumb), and with stderr away
 * from the terminal: every prompt is plain lines, answered by typing a line. The bytes the
 * command writes to the terminal are recorded before tmux interprets them, so an escape
 * sequence cannot hide behind what the screen shows.
 */
let dir: string;
let env: Record<string, string>;
const terminals: Terminal[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-plain-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'operator' };
  const ok = (args: string[]) => expect(cli(args, { env }).code, args.join(' ')).toBe(0);
  ok(['user', 'create', '-e', 'victim@example.com']);
  ok(['service', 'create', '-n', 'ci']);
  ok(['service', 'create', '-n', 'web']);
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(dir, { recursive: true, force: true });
});

const ESC = '\x1b';
const dumb = (args: string[], options: { stderrTo?: string } = {}, term = 'dumb') => {
  const t = new Terminal(dir, args, { ...env, TERM: term, LANG: 'C.UTF-8' }, { width: 100, height: 40 }, { raw: true, ...options });
  terminals.push(t);
  return t;
};
const json = (args: string[]) => JSON.parse(cli(['-f', 'json', ...args], { env }).stdout);

describe.skipIf(!hasTmux)('TERM=dumb: plain line prompts', () => {
  it('key create: both pickers are numbered lists answered by a typed number; a wrong number is asked again', async () => {
    const t = dumb(['key', 'create']);
    await t.waitFor(/Service for the new key\n {2}1\) ci\n {2}2\) web\nType a number \(1-2\):\s*$/m);
    t.keys('7', 'Enter');
    await t.waitFor(/No choice "7": type a number from 1 to 2\./);
    t.keys('2', 'Enter');
    await t.waitFor(/Key expiration\n {2}1\) 30 days\n {2}2\) 90 days\n {2}3\) 365 days \(the default\)\n {2}4\) never\nType a number \(1-4\), or Enter for 3:\s*$/m);
    t.keys('1', 'Enter');
    expect(await t.exitCode()).toBe(0);
    const written = await t.waitForRaw(/serviceName +web/);
    expect(written).not.toContain(ESC);
    const [key] = json(['key', 'list']);
    expect(key.serviceName).toBe('web');
    expect(Date.parse(key.expiresAt) - Date.parse(key.createdAt)).toBe(30 * 86_400_000);
  });

  it('Enter takes the expiry picker\'s default', async () => {
    const t = dumb(['key', 'create']);
    await t.waitFor(/Type a number \(1-2\):\s*$/m);
    t.keys('1', 'Enter');
    await t.waitFor(/or Enter for 3:\s*$/m);
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    expect((await t.waitForRaw(/expiresAt/)).includes(ESC)).toBe(false);
    const [key] = json(['key', 'list']);
    expect(Date.parse(key.expiresAt) - Date.parse(key.createdAt)).toBe(365 * 86_400_000);
  });

  it('user create: an invalid email is said and asked again, then the typed line is taken', async () => {
    const t = dumb(['user', 'create']);
    await t.waitFor(/Email of the new user:\s*$/m);
    t.keys('not-an-email', 'Enter');
    await t.waitFor(/invalid email[^\n]*\nEmail of the new user:\s*$/im);
    t.keys('ada@example.com', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect((await t.waitForRaw(/ada@example\.com[^\n]*\n[\s\S]*ada@example\.com/)).includes(ESC)).toBe(false);
    expect(json(['user', 'show', 'ada@example.com'])).toHaveLength(1);
  });

  it('user delete: an unclear answer is asked again; n cancels with exit 130 and deletes nothing', async () => {
    const t = dumb(['user', 'delete', 'victim@example.com']);
    await t.waitFor(/Delete 1 user\(s\): victim@example\.com\? \[y\/N\]\s*$/m);
    t.keys('maybe', 'Enter');
    await t.waitFor(/Answer y or n\.\nDelete 1 user/);
    t.keys('n', 'Enter');
    expect(await t.exitCode()).toBe(130);
    expect((await t.waitForRaw(/nothing was changed/)).includes(ESC)).toBe(false);
    expect(json(['user', 'list'])).toHaveLength(1);
  });

  it('user delete: y deletes', async () => {
    const t = dumb(['user', 'delete', 'victim@example.com']);
    await t.waitFor(/\[y\/N\]\s*$/m);
    t.keys('y', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect((await t.waitForRaw(/\[y\/N\] y/)).includes(ESC)).toBe(false);
    expect(json(['user', 'list'])).toHaveLength(0);
  });

  it.each([
    ['Ctrl+C', ['half-typed', 'C-c']],
    ['Ctrl+D', ['C-d']],
  ])('%s at a line prompt cancels with exit 130 and a line of its own saying nothing changed', async (_label, keys) => {
    const t = dumb(['service', 'create']);
    await t.waitFor(/Name of the new service[^\n]*:\s*$/m);
    t.keys(...keys);
    expect(await t.exitCode()).toBe(130);
    await t.waitFor(/^accessctl: cancelled at the prompt \(nothing was changed\)$/m);
    expect((await t.waitForRaw(/nothing was changed/)).includes(ESC)).toBe(false);
    expect(json(['service', 'list'])).toHaveLength(2);
  });

  it('a token asked for is not echoed, and nothing but the question is written', async () => {
    const token = cli(['-q', 'key', 'create', '-i', 'ci'], { env }).stdout.trim();
    expect(token).toMatch(/^ack_/);
    const t = dumb(['key', 'verify']);
    await t.waitFor(/Paste the token \(it is not shown\), then press Enter:\s*$/m);
    t.keys('-l', token);
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    const written = await t.waitForRaw(/Paste the token[^\n]*\n[\s\S]+/);
    expect(written).not.toContain(token.slice(4, 30));
    expect(written).not.toContain(ESC);
    expect(t.screen()).not.toContain(token.slice(4, 30));
  });
});

describe.skipIf(!hasTmux)('stderr away from the terminal (2>file)', () => {
  it('the question is a plain line in the file, and the line typed at the terminal answers it', async () => {
    const t = dumb(['user', 'delete', 'victim@example.com'], { stderrTo: 'err.log' }, 'xterm-256color');
    const log = join(dir, 'err.log');
    for (let i = 0; i < 400 && !(existsSync(log) && readFileSync(log, 'utf8').includes('[y/N]')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(log, 'utf8')).toBe('Delete 1 user(s): victim@example.com? [y/N] ');
    t.keys('y', 'Enter');
    expect(await t.exitCode()).toBe(0);
    expect(readFileSync(log, 'utf8')).not.toContain(ESC);
    expect(json(['user', 'list'])).toHaveLength(0);
  });
});

describe.skipIf(!hasTmux)('NO_COLOR and --no-color at a terminal that moves the cursor', () => {
  const colour = /\x1b\[[0-9;]*m/;
  it.each([
    ['without NO_COLOR, the picker is coloured', [], {}, true],
    ['with NO_COLOR, the picker moves the cursor but shows no colour', [], { NO_COLOR: '1' }, false],
    ['with --no-color, the picker moves the cursor but shows no colour', ['--no-color'], {}, false],
  ])('%s', async (_label, flags, extra, coloured) => {
    const t = new Terminal(dir, [...flags, 'key', 'create'], { ...env, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...extra }, { width: 100, height: 40 }, { raw: true });
    terminals.push(t);
    await t.waitFor(/Service for the new key/);
    t.keys('Enter');
    await t.waitFor(/Key expiration/);
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    const written = await t.waitForRaw(/expiresAt/);
    expect(written).toMatch(/\x1b\[\d*[AGK]/);
    expect(colour.test(written)).toBe(coloured);
  });
});
