import { ConflictError, DeniedError } from '../../../domain/errors.js';
import { closeOutcome, isAbout, whyMayNotReview, type Decision, type Outcome } from '../../../domain/reviews.js';
import { visibleText } from '../../../domain/text-hygiene.js';
import { mutateAndRead } from '../../../store/mutate.js';
import { getReview, ItemWriter, itemPages, linkNow } from '../../../store/reviews.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { meta } from '../shared.js';
import { closedReview } from './decide.js';
import { reviewerFacts, reviewersName, reviewRecord } from './records.js';

/**
 * `review close`: every item gets its outcome; revoked grants still as frozen are removed, in one
 * transaction whose last event, review.close, is the seq the review records (closed_seq).
 */
export async function runReviewClose(ref: string, defaultDecision: Decision | undefined, ctx: Ctx): Promise<Output> {
  const login = await currentLogin(ctx);
  const m = meta(ctx);
  const counts: Record<Outcome, number> = { KEPT: 0, REMOVED: 0, CHANGED: 0, GONE: 0 };
  const changed: string[] = [];
  const record = await mutateAndRead(
    ctx.store().db,
    m,
    async (tx) => {
      const review = await getReview(tx.db, ref);
      if (review.state === 'CLOSED') throw closedReview(review);
      const who = await reviewerFacts(tx.db, login, review, tx.now);
      const why = whyMayNotReview(who);
      if (why) throw new DeniedError(`you may not close review ${review.id}: ${why}`, review.reviewers_group ? 'a member of its reviewers group closes it' : 'a user linked to a login closes it');
      const undecided = review.items - review.decided;
      if (undecided > 0 && defaultDecision === undefined) {
        throw new ConflictError(`review ${review.id} has ${undecided} undecided item${undecided === 1 ? '' : 's'}`, 'decide them, or close with --default keep|revoke');
      }
      const user = who.user!;
      const writer = new ItemWriter(tx, review.id, login);
      let decided = review.decided;
      for await (const page of itemPages(tx.db, review.id)) {
        for (const before of page) {
          const after = { ...before };
          if (after.decision === null) {
            if (isAbout(before, user)) throw new DeniedError(`you may not close review ${review.id} with a default: item ${before.item} is about you and undecided`, 'someone else decides it first');
            Object.assign(after, { decision: defaultDecision!, decided_by: login, decider_id: user.id, decided_at: tx.now, reason: 'default at close' });
            decided++;
          }
          let removal = null;
          if (after.decision === 'REVOKE') {
            const now = await linkNow(tx.db, before);
            after.outcome = closeOutcome(after, now.link);
            if (after.outcome === 'REMOVED') removal = now.removal;
          } else {
            after.outcome = 'KEPT';
          }
          counts[after.outcome]++;
          if (after.outcome === 'CHANGED' && changed.length < 20) changed.push(`${before.item} (${visibleText(before.subject_name)} in ${visibleText(before.owner_name)})`);
          await writer.add({ before, after }, removal ?? undefined);
        }
      }
      await writer.finish('review.close', review, (seq) => ({ ...review, state: 'CLOSED', decided, closed_at: tx.now, closed_seq: seq, closed_by: login, updated_at: tx.now }));
      return review.id;
    },
    async (id, trx) => {
      const row = await getReview(trx, id);
      return reviewRecord(row, m.now, await reviewersName(trx, row));
    },
  );
  ctx.note(`closed: ${counts.KEPT} kept, ${counts.REMOVED} removed, ${counts.CHANGED} changed since the freeze (left alone), ${counts.GONE} already gone`);
  if (changed.length > 0) ctx.note(`note: changed since the freeze, left alone: item ${changed.join(', item ')}`);
  return { kind: 'review', records: [record] };
}
