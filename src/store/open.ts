import type { StoreLocation } from './location.js';
import { openPostgres } from './postgres/store.js';
import { openSqlite } from './sqlite/open.js';
import type { OpenOptions, Store } from './store.js';

/** Opens (creating it if the command may) the store at `location`, refusing anything not safely ours. */
export function openStore(location: StoreLocation, opts: OpenOptions = {}): Store {
  if (location.url !== undefined) return openPostgres(location.url, { create: location.create === true, beforeCreate: opts.beforeCreate, access: location.access });
  return openSqlite(location, opts);
}
