import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './spawn.js';

/**
 * Drives accessctl in a real pseudo-terminal through tmux: type keys, read the screen.
 * Waiting is by polling for what should appear (bounded), never by fixed sleeps.
 */
export class Terminal {
  readonly socket = `accessctl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly rcFile: string;
  private readonly rawFile: string;
  constructor(
    private readonly dir: string,
    args: string[],
    env: Record<string, string>,
    size: { width?: number; height?: number } = {},
    /**
     * raw: keep every byte the command writes to the terminal (before tmux interprets escape
     * sequences), for `waitForRaw()`; the command starts only once that recording runs.
     * stderrTo: a file (in `dir`) that stderr is redirected to, away from the terminal.
     */
    options: { raw?: boolean; stderrTo?: string } = {},
  ) {
    this.rcFile = join(dir, `rc-${this.socket}`);
    this.rawFile = join(dir, `raw-${this.socket}`);
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}';`)
      .join(' ');
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const redirect = options.stderrTo === undefined ? '' : ` 2>'${join(dir, options.stderrTo)}'`;
    const start = options.raw ? `tmux -L '${this.socket}' wait-for started; ` : '';
    // Like an interactive shell, the wrapper outlives a Ctrl+C that the command itself handles
    // (at a line prompt the terminal sends SIGINT to the whole process group).
    const script = `trap : INT; ${start}${exports} '${process.execPath}' '${BIN}' ${quoted}${redirect}; echo $? > '${this.rcFile}'; sleep 60`;
    this.tmux('new-session', '-d', '-x', String(size.width ?? 160), '-y', String(size.height ?? 40), 'sh', '-c', script);
    if (options.raw) {
      this.tmux('pipe-pane', '-o', `cat > '${this.rawFile}'`);
      this.tmux('wait-for', '-S', 'started');
    }
  }
  /** Waits (up to 20 s) until the bytes written to the terminal (constructed with `raw`) match; returns them all. */
  async waitForRaw(pattern: RegExp): Promise<string> {
    const raw = () => (existsSync(this.rawFile) ? readFileSync(this.rawFile, 'utf8') : '');
    for (let i = 0; i < 400; i++) {
      const text = raw();
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the terminal was never written ${pattern}; written:\n${JSON.stringify(raw())}`);
  }
  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-e');
  }
  /** The screen as plain text with wrapped lines joined: a line longer than the width was wrapped. */
  logicalLines(): string[] {
    return this.tmux('capture-pane', '-p', '-J').replace(/\n+$/, '').split('\n');
  }
  /** Waits (up to 20 s) until the screen matches. */
  async waitFor(pattern: RegExp): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`terminal never showed ${pattern}; screen:\n${this.screen()}`);
  }
  keys(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }
  /** Waits for the command to finish and returns its exit code. */
  async exitCode(): Promise<number> {
    for (let i = 0; i < 400; i++) {
      if (existsSync(this.rcFile)) {
        const text = readFileSync(this.rcFile, 'utf8').trim();
        if (text !== '') return Number(text);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`command did not finish; screen:\n${this.screen()}`);
  }
  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;
