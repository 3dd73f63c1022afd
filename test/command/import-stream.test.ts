import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyLines } from '../../src/cli/key-lines.js';
import { harness, type Harness } from '../helpers/harness.js';

/**
 * `user import` and `resource import` read their input twice (validate, then write a chunk at a
 * time) and keep only a hash of each key: these pin that it is still all or nothing, with every
 * bad line reported, on both dialects.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const users = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `u${from + i}@example.com,First,Last${from + i},MEMBER`);

describe('imports in chunks', () => {
  it('bad lines anywhere, the last one included, are all reported and nothing is written', async () => {
    const lines = ['email,firstName,lastName,role', ...users(2500)];
    lines[3] = 'not-an-email,A,B,MEMBER';
    lines[1700] = 'u1699b@example.com,A,B,OWNER';
    lines[2400] = 'U5@Example.com,Dup,Licate,MEMBER';
    lines.push('last-line-bad,A,B,MEMBER');
    const csv = join(h.dir, 'users.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const r = await h.run(['user', 'import', csv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^accessctl: 4 invalid rows, nothing imported: line 4: invalid email "not-an-email"; line 1701: .*role.*; line 2401: U5@Example.com already appears on line 7; line 2502: invalid email "last-line-bad"/);
    expect(await h.json(['user', 'list'])).toEqual([]);
    expect((await h.json(['audit', 'list'])).filter((e) => String(e.action).startsWith('user.'))).toEqual([]);
  });

  it('a file of several chunks round-trips, from a file and from stdin, and a second run changes nothing', async () => {
    const csv = `email,firstName,lastName,role\n${users(2300).join('\n')}\n`;
    const file = join(h.dir, 'users.csv');
    writeFileSync(file, csv);
    const first = await h.run(['-f', 'ndjson', 'user', 'import', file]);
    expect(first.code, first.stderr).toBe(0);
    const created = first.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { line: number; action: string; id: string });
    expect(created).toHaveLength(2300);
    expect(created.map((c) => c.line)).toEqual(Array.from({ length: 2300 }, (_, i) => i + 2));
    expect(created.every((c) => c.action === 'create' && /^usr_/.test(c.id))).toBe(true);
    expect(first.stderr).toContain('created 2300, updated 0, unchanged 0 (2300 rows)');
    const again = await h.run(['-f', 'ndjson', 'user', 'import', '-'], { stdin: csv.replace('u2299@example.com,First,Last2299', 'u2299@example.com,First,Changed') });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { line: 2301, action: 'update', id: created[2299]!.id, name: 'u2299@example.com', changes: { lastName: { from: 'Last2299', to: 'Changed' } } },
    ]);
    expect(again.stderr).toContain('created 0, updated 1, unchanged 2299 (2300 rows)');
    expect((await h.json(['user', 'list'])).length).toBe(2300);
    const check = await h.run(['db', 'check']);
    expect(check.code, check.stdout).toBe(0);
  });

  it('a resource import whose new row lacks an address, in a later chunk, writes nothing', async () => {
    const lines = ['name,address', ...Array.from({ length: 1500 }, (_, i) => `r${i},host${i}.internal`)];
    lines.push('r-no-address,');
    const csv = join(h.dir, 'res.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const r = await h.run(['resource', 'import', csv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 1502: a new resource needs an address');
    expect(await h.json(['resource', 'list'])).toEqual([]);
  });
});

describe('KeyLines', () => {
  it('finds every repeat among 200,000 keys and nothing else', () => {
    const seen = new KeyLines();
    const repeats: Array<[number, number]> = [];
    for (let i = 0; i < 200_000; i++) {
      const key = i % 1000 === 999 ? `user${i - 500}@example.com` : `user${i}@example.com`;
      const first = seen.firstLine(key, i);
      if (first !== undefined) repeats.push([i, first]);
    }
    expect(repeats).toEqual(Array.from({ length: 200 }, (_, k) => [k * 1000 + 999, k * 1000 + 499]));
  });
});
