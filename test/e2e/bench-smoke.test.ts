import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/spawn.js';

describe('npm run bench', () => {
  it('runs end to end on a tiny fixture and prints every ratio (no timing is asserted)', () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--bench-only'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const r = spawnSync(process.execPath, ['bench/dist/run.mjs', '--smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| figure'));
    expect(rows.map((l) => l.split('|')[1]!.trim().replace(/ \(.*$/, '').replace(/ of \d.*$/, ''))).toEqual([
      'one call: group show -i',
      'one call: access check --user',
      'one call: access check --token-stdin',
      'user import',
      'sweep',
      'audit list -f ndjson',
      'group list -f csv',
      'db check replay vs audit verify',
      'apply of a file',
      'plan of the applied file',
    ]);
    for (const row of rows) expect(row).toMatch(/\| \d+(\.\d+)? +\|/);
  }, 300_000);
});
