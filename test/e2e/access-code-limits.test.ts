import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';

// What once aborted Node (exit 134) or escaped as exit 1, run as the built binary: one line, exit 2.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-e2e-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hostile: Array<[string, string, string]> = [
  ['50,000 nested [ (JSON, unclosed)', 'deep.json', '['.repeat(50_000)],
  ['50,000 nested [ (JSON, closed)', 'deep2.json', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
  ['50,000 nested [ in YAML', 'deep.yaml', `users: ${'['.repeat(50_000)}`],
  ['50,000 nested { in YAML', 'deep2.yaml', `users:\n  - ${'{a: '.repeat(50_000)}`],
  ['2,000 levels of block nesting', 'block.yaml', Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
];

describe('hostile access files against the built binary', () => {
  it.each(hostile)('%s: exit 2, one line naming FILE:LINE, no store needed or created', (_what, name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    const db = join(dir, 'none.db');
    for (const argv of [['--db', db, 'test', '-f', path], ['--db', db, 'apply', '--prune', '-f', path]]) {
      const r = cli(argv);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^accessctl: ${name.replace('.', '\\.')}:\\d+: nested deeper than 64 levels`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(db)).toBe(false);
  });

  it('an empty stdin to apply --prune creates and deletes nothing', () => {
    const db = join(dir, 'none.db');
    const r = cli(['--db', db, 'apply', '--prune', '-f', '-'], { stdin: '' });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^accessctl: <stdin>: the file declares nothing/);
    expect(existsSync(db)).toBe(false);
  });
});
