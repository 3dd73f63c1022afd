import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';

let dir: string;
let env: Record<string, string>;
let token: string;
const terminals: Terminal[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-token-'));
  env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'operator' };
  cli(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal'], { env });
  cli(['service', 'create', '-n', 'ci', '-r', 'prod-db'], { env });
  token = cli(['-q', 'key', 'create', '-i', 'ci'], { env }).stdout.trim();
});
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  rmSync(dir, { recursive: true, force: true });
});
const terminal = (args: string[]) => {
  const t = new Terminal(dir, args, { ...env, TERM: 'xterm-256color' });
  terminals.push(t);
  return t;
};

describe.runIf(hasTmux)('a token asked for at a terminal is read like a password (SPEC section 9)', () => {
  it.each([
    ['key verify', ['key', 'verify']],
    ['access check --token-stdin', ['access', 'check', '--token-stdin', '-r', 'prod-db']],
  ])('%s: the pasted token never appears on the screen', async (_label, args) => {
    expect(token).toMatch(/^ack_/);
    const t = terminal(args);
    await t.waitFor(/Paste the token/);
    t.keys('-l', token);
    // Typed but not yet entered: the prompt line shows no part of it.
    await t.waitFor(/Paste the token/);
    expect(t.screen()).not.toContain(token.slice(0, 12));
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    const screen = t.screen();
    expect(screen).not.toContain(token.slice(4, 30));
    expect(screen).not.toContain('*'.repeat(10));
  });
});
