import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/spawn.js';
import { hasTmux } from '../helpers/tmux.js';

/**
 * Completion in real shells, as a person gets it: each shell in tmux, loaded the README's way,
 * keys typed, the command line read back from the screen.
 */
const has = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'accessctl-shells-'));
const bin = join(dir, 'bin');
const home = join(dir, 'home');
const work = join(dir, 'work');
const env = { ACCESSCTL_HOME: join(dir, 'store') };

beforeAll(() => {
  mkdirSync(bin);
  mkdirSync(home);
  mkdirSync(work);
  // accessctl on PATH, as an install puts it there.
  writeFileSync(join(bin, 'accessctl'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  writeFileSync(join(work, 'people.csv'), 'email\n');
  for (const args of [
    ['-q', 'user', 'create', '-e', 'ada@example.com'],
    ['-q', 'group', 'create', '-g', 'incident-42'],
  ]) {
    expect(cli(args, { env }).code).toBe(0);
  }
});

class Shell {
  readonly socket = `accessctl-shell-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(command: string[], extraEnv: Record<string, string> = {}) {
    const vars = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      TERM: 'xterm-256color',
      ACCESSCTL_HOME: env.ACCESSCTL_HOME,
      ...extraEnv,
    };
    const exports = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    this.tmux('new-session', '-d', '-x', '200', '-y', '40', '-c', work, 'env', '-i', ...exports, ...command);
  }
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  /** The screen line the cursor is on. */
  line(): string {
    const y = Number(this.tmux('display-message', '-p', '#{cursor_y}').trim());
    return this.tmux('capture-pane', '-p').split('\n')[y] ?? '';
  }
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }
  key(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }
  async until(test: (line: string) => boolean, what: string): Promise<string> {
    for (let i = 0; i < 600; i++) {
      const l = this.line();
      if (test(l)) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never saw ${what}; cursor line: ${JSON.stringify(this.line())}\nscreen:\n${this.tmux('capture-pane', '-p')}`);
  }
  /** Runs a command and waits for its output: the shell has read everything typed before. */
  async settle(): Promise<void> {
    const token = `ready-${Math.random().toString(36).slice(2, 8)}`;
    this.type(`echo ${token.slice(0, 3)}""${token.slice(3)}`);
    this.key('Enter');
    for (let i = 0; i < 600; i++) {
      if (this.tmux('capture-pane', '-p').split('\n').some((l) => l.trim() === token)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the shell never ran a command; screen:\n${this.tmux('capture-pane', '-p')}`);
  }
  /** Types `typed` at a fresh prompt, presses TAB, and returns the command line once it changed. */
  async tab(typed: string): Promise<string> {
    await this.settle();
    this.type(typed);
    const before = await this.until((l) => l.trimEnd().endsWith(typed.trimEnd()), `"${typed}" echoed`);
    this.key('Tab');
    const after = await this.until((l) => l !== before, `a completion of "${typed}"`);
    this.key('C-c');
    return after.trimEnd();
  }
  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** Each shell, started clean and loaded as the README says. */
const SHELLS: Array<{ name: string; start: () => Promise<Shell> }> = [
  {
    name: 'bash',
    async start() {
      const s = new Shell(['bash', '--norc', '--noprofile', '-i'], { PS1: '$ ' });
      s.type('source <(accessctl completion bash)');
      s.key('Enter');
      return s;
    },
  },
  {
    name: 'zsh',
    async start() {
      // accessctl completion zsh > "${fpath[1]}/_accessctl", then a new zsh: the first TAB must work.
      const fpath = join(dir, 'zsh-functions');
      mkdirSync(fpath, { recursive: true });
      writeFileSync(join(fpath, '_accessctl'), cli(['completion', 'zsh'], { env }).stdout);
      const zdot = join(dir, 'zdot');
      mkdirSync(zdot, { recursive: true });
      writeFileSync(join(zdot, '.zshrc'), `fpath=('${fpath}' $fpath)\nautoload -Uz compinit && compinit -u -D\nPROMPT='$ '\n`);
      return new Shell(['zsh', '-i'], { ZDOTDIR: zdot });
    },
  },
  {
    name: 'fish',
    async start() {
      const s = new Shell(['fish', '--no-config']);
      s.type('set -g fish_autosuggestion_enabled 0; accessctl completion fish | source');
      s.key('Enter');
      return s;
    },
  },
];

for (const { name, start } of SHELLS) {
  describe.skipIf(!hasTmux || !has(name))(`completion in ${name}`, () => {
    let sh: Shell;
    beforeAll(async () => {
      sh = await start();
    });
    afterAll(() => sh?.close());

    it('completes flags, values, shells, files and names', { timeout: 240_000 }, async () => {
      expect(await sh.tab('accessctl sweep --grace 1h --d')).toMatch(/accessctl sweep --grace 1h --dry-run$/);
      expect(await sh.tab('accessctl plan --p')).toMatch(/accessctl plan --prune$/);
      expect(await sh.tab('accessctl completion z')).toMatch(/accessctl completion zsh$/);
      expect(await sh.tab('accessctl export -f y')).toMatch(/accessctl export -f yaml$/);
      expect(await sh.tab('accessctl plan -f peo')).toMatch(/accessctl plan -f people\.csv$/);
      expect(await sh.tab('accessctl user import peo')).toMatch(/accessctl user import people\.csv$/);
      expect(await sh.tab('accessctl group show inc')).toMatch(/accessctl group show incident-42$/);
      expect(await sh.tab('accessctl group add-users -g incident-42 -u ad')).toMatch(/-u ada@example\.com$/);
    });
  });
}
