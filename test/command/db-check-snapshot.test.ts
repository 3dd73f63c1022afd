import { afterEach, describe, expect, it } from 'vitest';
import { cliAsync } from '../helpers/spawn.js';
import { harness, type Harness } from '../helpers/harness.js';

/**
 * `db check` reads the audit log and every table in one read transaction: a writer committing
 * while it runs is either wholly seen or not at all, never half (a row "in the store but not in
 * the audit log", and a hint to throw good writes away). Real processes on the real store.
 */
describe('db check: one read snapshot', () => {
  let h: Harness;
  afterEach(() => h?.cleanup());

  it('30 runs while two other processes write: every run is clean', async () => {
    h = harness();
    // Enough rows that one check takes a while: the writers land inside it.
    const csv = ['email,firstName,lastName,role,state', ...Array.from({ length: 500 }, (_, i) => `seed${i}@example.com,S,${i},DEVOPS,ACTIVE`)].join('\n');
    await h.ok(['user', 'import', '-'], { stdin: csv });
    let stop = false;
    let writes = 0;
    const writerErrors: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const r = await cliAsync(['--db', h.db, 'user', 'create', '-e', `w${w}-${i}@example.com`]);
        if (r.code === 0) writes++;
        else writerErrors.push(r.stderr);
      }
    };
    const writers = [writer(0), writer(1)];
    const failures: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await cliAsync(['--db', h.db, 'db', 'check']);
      if (r.code !== 0) failures.push(`run ${i}: exit ${r.code}: ${r.stderr.trim()} ${r.stdout.split('\n').filter((l) => /false/.test(l)).slice(0, 2).join(' | ')}`);
    }
    stop = true;
    await Promise.all(writers);
    expect(writerErrors).toEqual([]);
    expect(writes).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    const after = await cliAsync(['--db', h.db, 'db', 'check']);
    expect(after.code).toBe(0);
  }, 300_000);

  it('a failed check names the remedy of its dialect', async () => {
    h = harness();
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    h.sql("update users set email = 'eve@example.com'");
    const r = await h.run(['db', 'check']);
    expect(r.code).toBe(6);
    if (h.dialect === 'postgres') {
      expect(r.stderr).toMatch(/pg_restore/);
      expect(r.stderr).not.toMatch(/db backup/);
    } else {
      expect(r.stderr).toMatch(/accessctl db restore/);
    }
  });
});
