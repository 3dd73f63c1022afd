import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

describe('db restore', () => {
  let h: Harness;
  afterEach(() => h?.cleanup());

  it('puts a backup back (SQLite) or points to pg_restore (PostgreSQL)', async () => {
    h = harness();
    await h.ok(['user', 'create', '-e', 'kept@example.com']);
    const backup = join(h.dir, 'backup.db');
    if (h.dialect === 'postgres') {
      const r = await h.run(['db', 'restore', backup]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is a PostgreSQL database \(use pg_restore/);
      expect(r.stderr).not.toMatch(/db backup/);
      return;
    }
    await h.ok(['db', 'backup', backup]);
    await h.ok(['user', 'create', '-e', 'later@example.com']);
    const records = await h.json<{ check: string; ok: boolean }>(['db', 'restore', backup]);
    expect(records.every((r) => r.ok)).toBe(true);
    expect((await h.json<{ email: string }>(['user', 'list'])).map((u) => u.email)).toEqual(['kept@example.com']);
    await h.ok(['db', 'check']);
  });
});
