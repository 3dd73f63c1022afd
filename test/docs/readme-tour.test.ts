import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/spawn.js';
import { hasTmux, Terminal } from '../helpers/tmux.js';
import { readmeBlocks } from './readme-blocks.js';

/**
 * README.md's short tour says it was recorded in a terminal 80 columns wide: typed again in one
 * (tmux), each command shows what the README shows. Ids, times and the token differ from run to
 * run; what a reader compares does not: the tables' columns, the rows' count and the fields of
 * an object, in order.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const tour = readmeBlocks(README).find((b) => b.lang === 'text' && b.lines.some((l) => l.text.startsWith('$ accessctl ')))!;

/** The recorded session: each command with the lines it printed. */
function recorded(): Array<{ line: number; args: string[]; output: string[] }> {
  const out: Array<{ line: number; args: string[]; output: string[] }> = [];
  for (const l of tour.lines) {
    if (l.text.startsWith('$ ')) out.push({ line: l.line, args: l.text.slice(2).split(/\s+/).slice(1), output: [] });
    else out.at(-1)!.output.push(l.text);
  }
  return out;
}

/** What a reader compares: a table's header and row count, or an object's field names. */
function shape(lines: readonly string[]): string[] {
  const text = lines.map((l) => l.trimEnd());
  const rows = text.filter((l) => l.startsWith('│'));
  if (rows.length > 0) return [rows[0]!.split('│').map((c) => c.trim()).filter(Boolean).join(' | '), `${rows.length - 1} rows`];
  return text.filter((l) => /^[a-z][A-Za-z0-9]*( |$)/.test(l)).map((l) => l.split(' ')[0]!);
}

const dir = mkdtempSync(join(tmpdir(), 'accessctl-tour-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasTmux)('README.md, "A short tour", typed again at 80 columns', () => {
  it('shows what the README shows, command by command', { timeout: 300_000 }, async () => {
    const env = { ACCESSCTL_HOME: join(dir, 'home'), ACCESSCTL_ACTOR: 'ada', TERM: 'xterm-256color', NO_COLOR: '1', LANG: 'C.UTF-8' };
    const steps = recorded();
    expect(steps.length).toBeGreaterThan(5);
    for (const step of steps) {
      const t = new Terminal(dir, step.args, env, { width: 80, height: 60 });
      try {
        expect(await t.exitCode(), `README.md:${step.line}`).toBe(0);
        const seen = t.logicalLines().filter((l) => l.trim() !== '');
        expect(shape(seen), `README.md:${step.line}: accessctl ${step.args.join(' ')}\n${seen.join('\n')}`).toEqual(shape(step.output));
      } finally {
        t.close();
      }
    }
  });
});
