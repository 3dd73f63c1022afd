import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../../domain/errors.js';

/**
 * better-sqlite3's compiled addon belongs to one Node ABI (NODE_MODULE_VERSION). After a Node
 * upgrade or switch, or when node-gyp built it against other headers, loading it fails with a
 * paragraph from Node; this turns that into the one line a user can act on. `undefined` when
 * `err` is not a failure to load the addon.
 */
export function addonLoadError(err: unknown): StoreError | undefined {
  const e = err as { code?: string; message?: string };
  const message = typeof e?.message === 'string' ? e.message : '';
  const versions = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(message);
  if (versions) {
    return new StoreError(
      `the SQLite driver's native addon was built for another Node.js (NODE_MODULE_VERSION ${versions[1]}); this Node.js ${process.version} needs NODE_MODULE_VERSION ${versions[2]}`,
      'run: npm rebuild better-sqlite3',
    );
  }
  if (e?.code === 'ERR_DLOPEN_FAILED' || /better_sqlite3\.node/.test(message)) {
    const first = message.split('\n')[0]!.replace(/^Error: /, '');
    return new StoreError(`the SQLite driver's native addon cannot be loaded by Node.js ${process.version}: ${first}`, 'run: npm rebuild better-sqlite3');
  }
  return undefined;
}

/**
 * The bundle knows where the driver's compiled addon is (scripts/build.mjs defines the path
 * relative to dist/), so opening a store does not search for it. Unbundled (tests), or if the
 * file is not there, the driver finds it itself.
 */
declare const __ACCESSCTL_NATIVE_BINDING__: string | undefined;
let binding: string | null | undefined;
export function nativeBinding(): { nativeBinding?: string } {
  if (binding === undefined) {
    binding = null;
    if (typeof __ACCESSCTL_NATIVE_BINDING__ === 'string') {
      const file = join(dirname(fileURLToPath(import.meta.url)), __ACCESSCTL_NATIVE_BINDING__);
      // Installed as a dependency, the driver may sit elsewhere in node_modules: ask Node where.
      binding = existsSync(file) ? file : createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    }
  }
  return binding === null ? {} : { nativeBinding: binding };
}
