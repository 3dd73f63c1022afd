import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/spawn.js';
import { readmeBlocks, readmeScript, runReadme } from './readme-blocks.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  // About seventy commands, one process each: minutes on a loaded machine.
  it('every command block runs, in order, in a fresh store', { timeout: 600_000 }, () => {
    const r = runReadme(README, { bin: BIN, root: ROOT });
    expect(r.failure, `${r.failure}\n--- stderr (last lines) ---\n${r.stderr.split('\n').slice(-15).join('\n')}`).toBeUndefined();
  });

  it('runs the tour and most blocks; every skipped block gives its reason', () => {
    const { ran, skipped } = readmeScript(README);
    expect(ran.some((b) => b.lang === 'text')).toBe(true);
    expect(ran.length).toBeGreaterThan(skipped.length);
    for (const b of skipped) expect(b.skip).not.toBe('');
  });

  it('no command in a block is cut across lines by a wrap', () => {
    // A recorded session's command ends on its own line: a following line that is neither output
    // nor a command but the rest of a word (`--ttl 2` / `h`) would be pasted as two commands.
    for (const b of readmeBlocks(README).filter((x) => x.lang === 'text')) {
      b.lines.forEach((l, i) => {
        if (l.text.startsWith('$ ') && / --\S+ \S*$/.test(l.text)) {
          const next = b.lines[i + 1]?.text ?? '';
          expect(/^\S{1,3}$/.test(next), `README.md:${l.line}: "${l.text}" continues on the next line`).toBe(false);
        }
      });
    }
  });
});

describe('the README runner', () => {
  const run = (md: string) => runReadme(md, { bin: BIN, root: ROOT });

  it('names the line of the command that failed', () => {
    const md = ['# t', '', '```sh', 'accessctl -q user create -e a@example.com', 'accessctl user show nobody@example.com', 'echo never', '```', ''].join('\n');
    expect(run(md).failure).toBe('README.md:5: exit 3');
  });

  it('runs `$ ` lines of a recorded session and ignores their output', () => {
    const md = ['```text', '$ accessctl -q resource create -n web -a 10.0.0.1', 'res_whatever', '$ accessctl resource show nope', 'nothing', '```'].join('\n');
    expect(run(md).failure).toBe('README.md:4: exit 3');
  });

  it('holds a command to the exit its comment names', () => {
    const ok = ['```sh', 'accessctl -q db init', 'accessctl resource show nope   # not found, exit 3', '```'].join('\n');
    expect(run(ok).failure).toBeUndefined();
    const wrong = ['```sh', 'accessctl -q resource create -n web -a 10.0.0.1   # exit 3', '```'].join('\n');
    expect(run(wrong).failure).toBe('README.md:2: exit 0, the README says exit 3');
  });

  it('skips a marked block, and only with a reason', () => {
    const skipped = ['<!-- readme-test: skip — needs a PostgreSQL server -->', '', '```sh', 'false', '```'].join('\n');
    expect(run(skipped).failure).toBeUndefined();
    expect(() => readmeBlocks(['<!-- readme-test: skip -->', '```sh', 'false', '```'].join('\n'))).toThrow(/needs a reason/);
    expect(() => readmeBlocks(['<!-- readme-test: maybe -->', '```sh', 'false', '```'].join('\n'))).toThrow(/unknown readme-test marker/);
  });

  it('runs in a store of its own, never the user\'s', () => {
    const md = ['```sh', 'accessctl db path | grep -q "$HOME/accessctl/default.db"', 'case "$PWD" in "$HOME"/*) exit 1 ;; esac', '```'].join('\n');
    expect(run(md).failure).toBeUndefined();
  });
});
