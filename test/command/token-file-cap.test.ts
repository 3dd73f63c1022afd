import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

// `--token-file` is bounded like stdin (4096 bytes): a device or a huge file is refused after
// reading one byte past the cap, never read to the end.

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

describe('--token-file is read with the stdin cap', () => {
  for (const argv of [
    ['key', 'verify'],
    ['key', 'exchange'],
    ['access', 'check', '-r', 'prod-db'],
  ]) {
    it(`${argv.join(' ')} --token-file /dev/zero: exit 2, one line, at once`, async () => {
      const r = await h.run([...argv, '--token-file', '/dev/zero']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('accessctl: /dev/zero is too large to hold a token (a token file holds one token, at most 4096 bytes)\n');
    });
  }

  it('a regular file over the cap is refused the same way; one at the cap is read', async () => {
    await h.ok(['service', 'create', '-n', 'ci']);
    const token = (await h.ok(['-q', 'key', 'create', '-i', 'ci'])).trim();
    const big = join(h.dir, 'big');
    writeFileSync(big, 'x'.repeat(4097));
    expect((await h.run(['key', 'verify', '--token-file', big])).code).toBe(2);
    const padded = join(h.dir, 'padded');
    writeFileSync(padded, `${token}\n`.padEnd(4096, ' '));
    const r = await h.run(['key', 'verify', '--token-file', padded]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a missing file or a directory is one line, exit 2', async () => {
    const missing = await h.run(['key', 'verify', '--token-file', join(h.dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^accessctl: cannot read token file .*nope: ENOENT\n$/);
    const dir = await h.run(['key', 'verify', '--token-file', h.dir]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/^accessctl: cannot read token file .*: EISDIR\n$/);
  });
});
