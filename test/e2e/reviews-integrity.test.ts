import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCleanStore, reviewWorld, type ReviewWorld } from '../helpers/review-world.js';

let w: ReviewWorld;
beforeEach(() => {
  w = reviewWorld();
});
afterEach(() => rmSync(w.dir, { recursive: true, force: true }));

interface CheckRecord {
  check: string;
  ok: boolean;
  detail: string;
}

describe('review evidence edited behind accessctl (SPEC section 16)', () => {
  it('a decision changed in the store file by hand is a replay difference naming review_items and the field', () => {
    const id = w.start('root', ['-g', 'prod']);
    w.json('carol', ['review', 'decide', id, '2', '--revoke', '--reason', 'left the team']);
    expectCleanStore(w);

    const raw = new Database(w.db);
    try {
      expect(raw.prepare("update review_items set decision = 'KEEP' where review_id = ? and item = 2").run(id).changes).toBe(1);
    } finally {
      raw.close();
    }
    const check = w.as('root', ['-f', 'json', 'db', 'check']);
    expect(check.code).toBe(6);
    const records = JSON.parse(check.stdout) as CheckRecord[];
    expect(records.filter((r) => r.check === 'replay' && !r.ok).map((r) => r.detail)).toEqual([
      expect.stringMatching(/^1 difference\(s\) between the store and its audit log/),
      `review_items ${id} 2 decision: decision is "KEEP" in the store, "REVOKE" by the audit log`,
    ]);
    expect(records.find((r) => r.check === 'auditChain')).toMatchObject({ ok: true });
    expect(JSON.parse(check.stderr)).toMatchObject({ error: { exitCode: 6 } });
  });
});
