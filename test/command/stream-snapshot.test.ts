import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { streamInReadSnapshot } from '../../src/store/read-snapshot.js';
import { harness, type Harness } from '../helpers/harness.js';

/** A streamed answer read by several queries is one moment of the store (access list --all). */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

describe('streamInReadSnapshot', () => {
  it('a write committed between two reads of one stream is not seen by the second; an error ends the stream', async () => {
    await h.ok(['user', 'create', '-e', 'ada@example.com']);
    const store = openStore(h.dialect === 'postgres' ? { path: 'store', url: h.db, managedDir: false, access: 'read' } : { path: h.db, managedDir: false, access: 'read' });
    try {
      await store.connect?.();
      let open!: () => void;
      const written = new Promise<void>((r) => (open = r));
      const counts = streamInReadSnapshot(
        store,
        async function* (db) {
          yield (await db.selectFrom('users').select('id').execute()).length;
          await written;
          yield (await db.selectFrom('users').select('id').execute()).length;
        },
        1,
      );
      const first = await counts.next();
      await h.ok(['user', 'create', '-e', 'late@example.com']);
      open();
      const second = await counts.next();
      expect([first.value, second.value]).toEqual([1, 1]);
      expect((await counts.next()).done).toBe(true);
      // Outside the stream the write is there.
      expect((await store.db.selectFrom('users').select('id').execute()).length).toBe(2);

      const failing = streamInReadSnapshot(store, async function* () {
        yield 1;
        throw new Error('read failed');
      });
      expect((await failing.next()).value).toBe(1);
      await expect(failing.next()).rejects.toThrow('read failed');
    } finally {
      await store.close();
    }
  });

  it('access list --all --limit 1 and -g G --limit 1 end the snapshot they stop reading, and the command ends', async () => {
    const csv = ['email,firstName,lastName,role', ...Array.from({ length: 600 }, (_, i) => `u${i}@example.com,U,${i},MEMBER`)].join('\n');
    await h.ok(['user', 'import', '-'], { stdin: csv });
    await h.ok(['resource', 'create', '-n', 'r1', '-a', 'db.internal']);
    await h.ok(['group', 'create', '-g', 'g1', '-u', Array.from({ length: 600 }, (_, i) => `u${i}@example.com`).join(','), '-r', 'r1']);
    for (const argv of [['--all'], ['-g', 'g1']]) {
      const r = await h.run(['-f', 'csv', 'access', 'list', ...argv, '--limit', '1']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
    }
    // Nothing was left holding the store: a write goes through at once.
    await h.ok(['user', 'create', '-e', 'after@example.com']);
  });
});
