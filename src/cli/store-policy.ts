import type { Command } from 'commander';

/**
 * Verbs that bring a store into being: they create an object or a setting (SPEC section 2).
 * Every other verb needs an existing store, so a mistyped --db, -s or ACCESSCTL_HOME fails with
 * exit 6 instead of quietly answering from (or sweeping) a new, empty store.
 */
const CREATING_VERBS = new Set(['create', 'import', 'set', 'init', 'apply']);

export function mayCreateStore(action: Command): boolean {
  if (!CREATING_VERBS.has(action.name())) return false;
  // A dry run only reads: it must not leave an empty store behind.
  return action.opts().dryRun !== true;
}
