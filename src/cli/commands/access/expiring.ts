import { UsageError } from '../../../domain/errors.js';
import { compareCodePoints } from '../../../domain/order.js';
import { formatTimestamp } from '../../../domain/time.js';
import { expiringGrants } from '../../../store/expiring.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';

/**
 * `access expiring --within D`: every grant that ends within D, soonest first, one row each with
 * who holds it, what it gives, when it ends and where it comes from; for a cron job that warns
 * people before their access ends. A membership approved for later carries `startsAt`: it
 * ends within D, but has not begun yet.
 */
export async function runAccessExpiring(within: number | undefined, ctx: Ctx): Promise<Output> {
  if (within === undefined) throw new UsageError('missing --within', 'e.g. --within 7d');
  const now = ctx.clock.now();
  const rows = await expiringGrants(ctx.store().db, now, now + within);
  rows.sort((a, b) => a.endsAt - b.endsAt || compareCodePoints(a.subjectKey, b.subjectKey) || compareCodePoints(a.gives, b.gives));
  return {
    kind: 'expiring',
    records: rows.map((r) => ({
      endsAt: formatTimestamp(r.endsAt),
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      subjectName: r.subjectName,
      givesType: r.givesType,
      givesId: r.givesId,
      gives: r.gives,
      source: r.source,
      startsAt: formatTimestamp(r.startsAt),
    })),
  };
}
