import { NotFoundError } from '../../domain/errors.js';
import type { OutputRecord, RecordKind } from '../../output/fields.js';
import type { MutationMeta } from '../../store/mutate.js';
import type { Ctx } from '../context.js';
import type { Output } from '../emit.js';

export function meta(ctx: Ctx): MutationMeta {
  return { now: ctx.clock.now(), actor: ctx.globals().actor, ids: ctx.ids };
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
