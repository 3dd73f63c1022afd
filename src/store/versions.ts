import { createRequire } from 'node:module';
import BetterSqlite3 from 'better-sqlite3';
import { nativeBinding } from './sqlite/native-addon.js';
import { LATEST_VERSION } from './sqlite/schema.js';

export interface Versions {
  schemaVersion: number;
  sqlite: string;
  betterSqlite3: string;
  pg: string;
}

/** The libraries this build runs on, read from themselves; no store is opened or created. */
export function libraryVersions(): Versions {
  const require = createRequire(import.meta.url);
  const packageVersion = (name: string): string => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  let sqlite = 'unknown';
  try {
    const memory = new BetterSqlite3(':memory:', nativeBinding());
    sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v;
    memory.close();
  } catch {
    // An addon that does not load is reported by any command that opens a store.
  }
  return { schemaVersion: LATEST_VERSION, sqlite, betterSqlite3: packageVersion('better-sqlite3'), pg: packageVersion('pg') };
}
