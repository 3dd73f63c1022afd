import { ExitCode, NotFoundError, UsageError, UserError } from '../../../domain/errors.js';
import { isOverdue } from '../../../domain/reviews.js';
import type { OutputRecord } from '../../../output/fields.js';
import { render } from '../../../output/render.js';
import { eventHash, findReview, getReview, itemPages, streamReviews } from '../../../store/reviews.js';
import type { Ctx } from '../../context.js';
import { renderOptions, type Output } from '../../emit.js';
import { deciderEmails, itemRecord, reviewersName, reviewRecord } from './records.js';

export interface ReviewListOptions {
  open?: boolean | undefined;
  overdue?: boolean | undefined;
  failIfAny?: boolean | undefined;
}

/** `review list`, oldest first; overdue (OPEN, due passed) is judged as of now. */
export async function runReviewList(opts: ReviewListOptions, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  let count = 0;
  async function* records(): AsyncIterable<OutputRecord> {
    for await (const row of streamReviews(db, { open: opts.open || opts.overdue, dueBy: opts.overdue ? now : undefined })) {
      if (opts.overdue && !isOverdue(row, now)) continue;
      count += 1;
      const { reviewers_name: current, ...review } = row;
      yield reviewRecord(review, now, review.reviewers_group === null ? null : (current ?? review.reviewers_group));
    }
  }
  return {
    kind: 'review',
    records: records(),
    get after() {
      if (!opts.failIfAny || count === 0) return undefined;
      return new UserError('FINDINGS', ExitCode.findings, `review list found ${count} review${count === 1 ? '' : 's'}`, 'decide and close them, then run again');
    },
  };
}

async function* items(ctx: Ctx, reviewId: string, evidence?: Record<string, unknown>, givesWithIds = false): AsyncIterable<OutputRecord> {
  const db = ctx.store().db;
  const email = deciderEmails(db);
  for await (const page of itemPages(db, reviewId)) {
    for (const row of page) {
      const rec = itemRecord(row, await email(row.decider_id), givesWithIds);
      if (!evidence) yield rec;
      else yield { ...evidence, ...rec };
    }
  }
}

/**
 * `review show REV`: the review, then its items with their decisions. In JSON one object
 * {review, items}; CSV and NDJSON carry the items.
 */
export async function runReviewShow(ref: string, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const row = await findReview(db, ref);
  // SPEC section 8: show of a missing id prints an empty list, then exit 3 (a malformed one is exit 2).
  if (!row) {
    try {
      await getReview(db, ref);
    } catch (err) {
      if (err instanceof NotFoundError) return { kind: 'review', records: [], after: err };
      throw err;
    }
  }
  const review = reviewRecord(row!, now, await reviewersName(db, row!));
  const format = ctx.globals().format;
  if (format === 'json') return { kind: 'review', records: [], delivered: await writeJson(ctx, review, items(ctx, row!.id)) };
  if (format !== 'table') return { kind: 'reviewItem', records: items(ctx, row!.id) };
  await render(ctx.io.stdout, 'review', [review], { ...renderOptions(ctx, {}, { layout: 'object' }), columns: undefined });
  await ctx.io.stdout.write('\n');
  const n = await render(ctx.io.stdout, 'reviewItem', items(ctx, row!.id), renderOptions(ctx, {}, { layout: 'list' }));
  return { kind: 'reviewItem', records: [], delivered: n + 1 };
}

/** `review export REV -f csv|json`: the evidence, tied to the audit chain at its freeze and its close. */
export async function runReviewExport(ref: string, ctx: Ctx): Promise<Output> {
  const format = ctx.globals().format;
  if (format !== 'csv' && format !== 'json') throw new UsageError('review export writes csv or json', 'pass -f csv or -f json');
  const db = ctx.store().db;
  const row = await getReview(db, ref);
  const closedHash = await eventHash(db, row.closed_seq);
  if (format === 'json') {
    const review = { ...reviewRecord(row, ctx.clock.now(), await reviewersName(db, row)), closedHash };
    return { kind: 'review', records: [], delivered: await writeJson(ctx, review, items(ctx, row.id, undefined, true)) };
  }
  // Every row states the population (scope), who could decide, and the two moments it is tied to.
  const review = reviewRecord(row, ctx.clock.now(), await reviewersName(db, row));
  const evidence = {
    reviewId: row.id,
    reviewName: row.name,
    scope: review.scope,
    scopeName: review.scopeName,
    reviewersGroup: review.reviewersGroup,
    frozenAt: review.frozenAt,
    frozenSeq: row.frozen_seq,
    frozenHash: row.frozen_hash,
    closedAt: review.closedAt,
    closedBy: row.closed_by,
    closedSeq: row.closed_seq,
    closedHash,
  };
  return { kind: 'reviewExport', records: items(ctx, row.id, evidence) };
}

/** {"review": …, "items": [ … ]}, one item a line, written as it is read. */
async function writeJson(ctx: Ctx, review: OutputRecord, list: AsyncIterable<OutputRecord>): Promise<number> {
  const out = ctx.io.stdout;
  await out.write(`{"review": ${JSON.stringify(review)},\n "items": [`);
  let n = 0;
  for await (const rec of list) {
    await out.write(`${n === 0 ? '\n' : ',\n'}  ${JSON.stringify(rec)}`);
    n++;
  }
  await out.write(`${n === 0 ? '' : '\n '}]}\n`);
  return n + 1;
}

