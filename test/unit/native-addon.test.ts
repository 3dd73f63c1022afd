import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/domain/errors.js';
import { addonLoadError } from '../../src/store/sqlite/native-addon.js';

describe('an addon built for another Node', () => {
  it('is one store error naming both ABI versions and the fix', () => {
    const err = Object.assign(
      new Error(
        "The module '/usr/lib/node_modules/accessctl/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 137. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    const e = addonLoadError(err);
    expect(e).toBeInstanceOf(StoreError);
    expect(e!.exitCode).toBe(6);
    expect(e!.message).toMatch(/NODE_MODULE_VERSION 115\).*NODE_MODULE_VERSION 137$/);
    expect(e!.message).not.toMatch(/\n/);
    expect(e!.hint).toBe('run: npm rebuild better-sqlite3');
  });

  it('an addon that cannot be opened at all names the same fix', () => {
    const err = Object.assign(new Error('/x/better_sqlite3.node: wrong ELF class: ELFCLASS32'), { code: 'ERR_DLOPEN_FAILED' });
    expect(addonLoadError(err)?.message).toMatch(/cannot be loaded by Node.js v\d+.*wrong ELF class/);
  });

  it('leaves every other error alone', () => {
    expect(addonLoadError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBeUndefined();
    expect(addonLoadError(undefined)).toBeUndefined();
  });
});
