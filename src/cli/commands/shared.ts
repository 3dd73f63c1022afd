import { NotFoundError } from '../../domain/errors.js';
import type { OutputRecord, RecordKind } from '../../output/fields.js';
import type { MutationMeta } from '../../store/mutate.js';
import type { Ctx } from '../context.js';
import type { Output } from '../emit.js';

export function meta(ctx: Ctx): MutationMeta {
  return { now: ctx.clock.now(), actor: ctx.globals().actor, ids: ctx.ids, clockOverridden: ctx.clock.overridden };
}

/**
 * `show -i a,b`: prints what exists; if anything is missing it still prints the rest
 * (an empty list when nothing is found) and then exits 3 naming the first missing one.
 */
export async function showMany(
  ctx: Ctx,
  kind: RecordKind,
  refs: string[],
  find: (ref: string) => Promise<OutputRecord | undefined>,
): Promise<Output> {
  const records: OutputRecord[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const rec = await find(ref);
    if (rec) records.push(rec);
    else missing.push(ref);
  }
  const after =
    missing.length > 0
      ? new NotFoundError(`${kind} ${missing.map((m) => JSON.stringify(m.slice(0, 80))).join(', ')} not found`, `see accessctl ${kind} list`)
      : undefined;
  return { kind, records, after };
}

/** Column names → record field names, for audit details. */
const FIELD_NAMES: Record<string, string> = { email: 'email', first_name: 'firstName', last_name: 'lastName', role: 'role', state: 'state' };

/** The changed fields as { field: { from, to } }, for the audit log. */
export function diff<T extends object>(before: T, patch: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.endsWith('_key') || k === 'updated_at') continue;
    const from = (before as Record<string, unknown>)[k];
    if (from !== v) out[FIELD_NAMES[k] ?? camel(k)] = { from, to: v };
  }
  return out;
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());


/** `--ignore-not-found`: a reference to nothing is skipped (noted on stderr) instead of failing. */
export async function orSkip<T>(ctx: Ctx, ignore: boolean, get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (ignore && err instanceof NotFoundError) {
      ctx.note(`note: ${err.message}; nothing to delete`);
      return undefined;
    }
    throw err;
  }
}

