import type { Command } from 'commander';
import type { StoreAccess } from '../store/store.js';

/**
 * Verbs that bring a store into being: they create an object or a setting (SPEC section 2).
 * Every other verb needs an existing store, so a mistyped --db, -s or ACCESSCTL_HOME fails with
 * exit 6 instead of quietly answering from (or sweeping) a new, empty store.
 */
const CREATING_VERBS = new Set(['create', 'import', 'set', 'init', 'apply']);

export function mayCreateStore(action: Command): boolean {
  if (!CREATING_VERBS.has(action.name())) return false;
  // A request names a requestable group: an empty store has none to ask for.
  if (action.parent?.name() === 'request') return false;
  // A dry run only reads: it must not leave an empty store behind.
  return action.opts().dryRun !== true;
}

/**
 * Verbs that only read (SPEC section 2, "Reads leave no trace"): they open a SQLite store
 * read-only and never migrate it. Any verb not named here may write, and opens it read-write.
 * `db check` also reads, and keeps going past schema differences so that it can list them all.
 */
const READING_VERBS = new Set(['list', 'show', 'get', 'check', 'verify', 'diff', 'report', 'path', 'backup', 'checkpoint', 'plan', 'test', 'export', 'completion', 'expiring', '__complete', 'serve']);

export function storeAccess(action: Command): StoreAccess {
  if (action.parent?.name() === 'db' && (action.name() === 'check' || action.name() === 'migrate')) return action.name() as StoreAccess;
  if (READING_VERBS.has(action.name())) return 'read';
  return action.opts().dryRun === true ? 'read' : 'write';
}
