import { ConflictError, DeniedError, UsageError } from '../../../domain/errors.js';
import { isAbout, parseDecision, parseItems, whyMayNotReview, type Decision } from '../../../domain/reviews.js';
import { visibleText } from '../../../domain/text-hygiene.js';
import { validateOptionalText } from '../../../domain/validate.js';
import { mutateAndRead } from '../../../store/mutate.js';
import { getItems, getReview, ItemWriter } from '../../../store/reviews.js';
import type { ReviewsTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import { readCsv } from '../../csv-import.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { meta } from '../shared.js';
import { reviewerFacts, reviewersName, reviewRecord } from './records.js';

export interface ReviewDecideOptions {
  review: string;
  items?: string | undefined;
  keep?: boolean | undefined;
  revoke?: boolean | undefined;
  reason?: string | undefined;
  file?: string | undefined;
}

interface Wanted {
  item: number;
  decision: Decision;
  reason: string | null;
  /** Where it came from in --file, for its errors. */
  at?: string;
}

/** A closed review changes no more (exit 4). */
export function closedReview(row: ReviewsTable): ConflictError {
  return new ConflictError(`review ${row.id} is CLOSED`, 'a closed review changes no more; start a new one');
}

/**
 * The rows of a decisions file: `item,decision,reason` (other columns, such as those of
 * `review export -f csv`, are ignored; a row without a decision is skipped). Every bad row is
 * refused, nothing is decided.
 */
async function readDecisions(ctx: Ctx, file: string, reviewRef: string): Promise<Wanted[]> {
  const out: Wanted[] = [];
  const reviewId = reviewRef.trim();
  const lines = new Map<number, string>();
  const errors: string[] = [];
  const name = file === '-' ? 'stdin' : file;
  const known = ['item', 'decision', 'reason', 'reviewid'];
  const header = (h: readonly string[]) => h.map((c) => (known.includes(c.trim().toLowerCase()) ? c.trim().toLowerCase() : null));
  await readCsv(ctx, file, known, ['item', 'decision'], (row, line) => {
    const at = `${name}:${line}`;
    const text = (row.decision ?? '').trim();
    if (text === '') return;
    // A sheet exported from another review numbers other grants: its decisions are not for this one.
    const from = (row.reviewid ?? '').trim();
    if (from !== '' && from !== reviewId) return void errors.push(`${at}: the row is from review ${JSON.stringify(from.slice(0, 40))}, not ${reviewId}`);
    const decision = parseDecision(text);
    const item = /^\d{1,9}$/.test((row.item ?? '').trim()) ? Number(row.item!.trim()) : NaN;
    if (!decision) return void errors.push(`${at}: decision ${JSON.stringify(text.slice(0, 40))} is not keep or revoke`);
    if (!Number.isInteger(item) || item < 1) return void errors.push(`${at}: item ${JSON.stringify((row.item ?? '').slice(0, 40))} is not an item number`);
    const first = lines.get(item);
    if (first !== undefined) return void errors.push(`${at}: item ${item} is already decided on ${first}`);
    lines.set(item, at);
    let reason: string | null = null;
    try {
      reason = validateOptionalText('reason', row.reason) || null;
    } catch (err) {
      return void errors.push(`${at}: ${(err as Error).message}`);
    }
    out.push({ item, decision, reason, at });
  }, false, header);
  if (errors.length > 0) throw new UsageError(`${errors.length} bad row${errors.length === 1 ? '' : 's'}, nothing decided: ${errors.slice(0, 20).join('; ')}`, 'fix them and run it again');
  if (out.length === 0) throw new UsageError(`no decisions in ${name}`, 'the header is item,decision,reason; decision is keep or revoke');
  return out;
}

/** `review decide`: items by number with --keep/--revoke, or a whole file; all in one transaction, or nothing. */
export async function runReviewDecide(opts: ReviewDecideOptions, ctx: Ctx): Promise<Output> {
  const viaFile = opts.file !== undefined;
  if (viaFile && (opts.items !== undefined || opts.keep || opts.revoke)) throw new UsageError('--file decides by itself', 'pass either ITEMS with --keep or --revoke, or --file');
  if (!viaFile && opts.items === undefined) throw new UsageError('which items?', 'pass ITEMS like 1,4-9 with --keep or --revoke, or --file decisions.csv');
  if (!viaFile && Boolean(opts.keep) === Boolean(opts.revoke)) throw new UsageError('pass --keep or --revoke', 'one decision for the items named');
  // Trimmed as the CSV reader trims the sheet's: the exported sheet sent back then matches.
  const reason = (validateOptionalText('--reason', opts.reason) ?? '').trim() || null;
  const fromFile = viaFile ? await readDecisions(ctx, opts.file!, opts.review) : undefined;
  const login = await currentLogin(ctx);
  const m = meta(ctx);
  const record = await mutateAndRead(
    ctx.store().db,
    m,
    async (tx) => {
      const review = await getReview(tx.db, opts.review);
      if (review.state === 'CLOSED') throw closedReview(review);
      let wanted: Wanted[];
      if (fromFile) {
        const outside = fromFile.filter((w) => w.item > review.items);
        if (outside.length > 0) {
          const named = outside.slice(0, 20).map((w) => `${w.at}: no item ${w.item} in this review`);
          throw new UsageError(`${outside.length} bad row${outside.length === 1 ? '' : 's'}, nothing decided: ${named.join('; ')}`, `its items are 1-${review.items}`);
        }
        wanted = fromFile.sort((a, b) => a.item - b.item);
      } else {
        const decision: Decision = opts.keep ? 'KEEP' : 'REVOKE';
        wanted = parseItems(opts.items!, review.items).map((item) => ({ item, decision, reason }));
      }
      const who = await reviewerFacts(tx.db, login, review, tx.now);
      const why = whyMayNotReview(who);
      if (why) throw new DeniedError(`you may not decide review ${review.id}: ${why}`, review.reviewers_group ? 'a member of its reviewers group decides' : 'a user linked to a login decides');
      const user = who.user!;
      const writer = new ItemWriter(tx, review.id, login);
      let newlyDecided = 0;
      for (let i = 0; i < wanted.length; i += 500) {
        const part = wanted.slice(i, i + 500);
        const byItem = new Map((await getItems(tx.db, review.id, part.map((w) => w.item))).map((r) => [r.item, r]));
        for (const w of part) {
          const before = byItem.get(w.item)!;
          // A spreadsheet sent back whole repeats decisions already taken: those stay as they are.
          if (fromFile && before.decision === w.decision && before.reason === w.reason) continue;
          if (isAbout(before, user)) throw new DeniedError(`you may not decide item ${w.item} of review ${review.id}: it is about you (${visibleText(before.subject_name)} in ${visibleText(before.owner_name)})`, 'someone else decides it');
          if (before.decision === null) newlyDecided++;
          await writer.add({ before, after: { ...before, decision: w.decision, decided_by: login, decider_id: user.id, decided_at: tx.now, reason: w.reason } });
        }
      }
      if (writer.count === 0) {
        ctx.note('note: every decision in the file is already taken; nothing changed');
        return review.id;
      }
      await writer.finish('review.decide', review, () => ({ ...review, decided: review.decided + newlyDecided, updated_at: tx.now }));
      return review.id;
    },
    async (id, trx) => {
      const row = await getReview(trx, id);
      return reviewRecord(row, m.now, await reviewersName(trx, row));
    },
  );
  return { kind: 'review', records: [record] };
}
