// The driver's compiled addon must load in the Node that builds (and will run) the CLI: one built
// for another Node (a version switch after install, node-gyp given other headers) would otherwise
// pass the build and fail the first command. Run alone (`node scripts/check-addon.mjs`) or from
// the build: one line naming both ABI versions and the fix, exit 1.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function checkAddon(addon) {
  const require = createRequire(import.meta.url);
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:', addon === undefined ? {} : { nativeBinding: addon }).close();
  } catch (err) {
    const message = String(err?.message ?? err);
    const v = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(message);
    const why = v
      ? `was built for NODE_MODULE_VERSION ${v[1]}; this Node.js ${process.version} needs NODE_MODULE_VERSION ${v[2]}`
      : `cannot be loaded by Node.js ${process.version}: ${message.split('\n')[0]}`;
    process.stderr.write(`build: better-sqlite3's native addon ${why} (run: npm rebuild better-sqlite3)\n`);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const require = createRequire(import.meta.url);
  checkAddon(join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node'));
}
