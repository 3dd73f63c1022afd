import type { Plan } from './plan.js';

/** More deletions than this, or every object of a kind, needs `--max-delete N` (SPEC section 12, "Guards"). */
export const DEFAULT_MAX_DELETE = 10;

export interface PruneGuard {
  deletes: number;
  /** Why the plan is held: "14 objects, more than 10" or "every user". */
  reason: string;
  /** The `--max-delete` that would let it through. */
  needs: number;
}

/**
 * A `--prune` plan that deletes much is more likely a wrong file than a wish: an empty `git show`,
 * a file cut in half. It goes through only when the operator names how many deletions they expect.
 */
export function pruneGuard(plan: Plan, maxDelete: number | undefined): PruneGuard | null {
  const gone = plan.changes.filter((c) => c.op === '-' && c.type !== 'setting');
  if (gone.length === 0) return null;
  if (maxDelete !== undefined) {
    return gone.length <= maxDelete ? null : { deletes: gone.length, reason: `${gone.length} objects, more than --max-delete ${maxDelete}`, needs: gone.length };
  }
  if (gone.length > DEFAULT_MAX_DELETE) return { deletes: gone.length, reason: `${gone.length} objects, more than ${DEFAULT_MAX_DELETE}`, needs: gone.length };
  const kinds = [
    ['user', plan.current.users.size],
    ['resource', plan.current.resources.size],
    ['service', plan.current.services.size],
    ['group', plan.current.groups.size],
  ] as const;
  for (const [type, had] of kinds) {
    const deleted = gone.filter((c) => c.type === type).length;
    if (had > 0 && deleted === had) return { deletes: gone.length, reason: `every ${type} (${had})`, needs: gone.length };
  }
  return null;
}
