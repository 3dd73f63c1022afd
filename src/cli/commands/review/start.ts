import { ConflictError, UsageError } from '../../../domain/errors.js';
import { defaultReviewName } from '../../../domain/reviews.js';
import { expiryAfter, isDuration, parseDuration, parseTimestamp } from '../../../domain/time.js';
import { validateName } from '../../../domain/validate.js';
import { getGroup } from '../../../store/groups.js';
import { mutateAndRead } from '../../../store/mutate.js';
import { getResource } from '../../../store/resources.js';
import type { ReviewScope } from '../../../store/review-freeze.js';
import { getReview, startReview } from '../../../store/reviews.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { meta } from '../shared.js';
import { reviewersName, reviewRecord } from './records.js';

export interface ReviewStartOptions {
  group?: string | undefined;
  resource?: string | undefined;
  all?: boolean | undefined;
  name?: string | undefined;
  reviewers?: string | undefined;
  due?: string | undefined;
}

/** `--due`: a duration from now (14d) or a time (RFC 3339). */
export function parseDue(text: string, now: number): number {
  if (isDuration(text)) return expiryAfter(now, parseDuration(text, '--due'), '--due');
  return parseTimestamp(text, '--due');
}

/** `review start`: the grants in scope frozen as items, in one transaction with their events. */
export async function runReviewStart(opts: ReviewStartOptions, ctx: Ctx): Promise<Output> {
  const given = [opts.group !== undefined, opts.resource !== undefined, Boolean(opts.all)].filter(Boolean).length;
  if (given !== 1) throw new UsageError(given === 0 ? 'review start needs a scope' : 'pass one scope only', 'pass -g GROUP, -r RESOURCE or --all');
  const name = opts.name === undefined ? undefined : validateName('review', opts.name);
  const login = await currentLogin(ctx);
  const m = meta(ctx);
  const dueAt = opts.due === undefined ? null : parseDue(opts.due, m.now);
  const record = await mutateAndRead(
    ctx.store().db,
    m,
    async (tx) => {
      let scope: ReviewScope = { kind: 'all' };
      let scopeName: string | null = null;
      if (opts.group !== undefined) {
        const g = await getGroup(tx.db, opts.group);
        scope = { kind: 'group', id: g.id };
        scopeName = g.name;
      } else if (opts.resource !== undefined) {
        const r = await getResource(tx.db, opts.resource);
        scope = { kind: 'resource', id: r.id };
        scopeName = r.name;
      }
      const reviewers = opts.reviewers === undefined ? null : (await getGroup(tx.db, opts.reviewers)).id;
      const id = tx.ids.id('review');
      const n = await startReview(
        tx,
        {
          id,
          name: name ?? defaultReviewName(scope.kind, scopeName),
          scope: scope.kind,
          scope_id: scope.kind === 'all' ? null : scope.id,
          scope_name: scopeName,
          state: 'OPEN',
          reviewers_group: reviewers,
          due_at: dueAt,
          frozen_at: tx.now,
          started_by: login,
          closed_at: null,
          closed_seq: null,
          closed_by: null,
          created_at: tx.now,
          updated_at: tx.now,
        },
        scope,
        login,
      );
      if (n === 0) throw new ConflictError(`nothing to review: no grant gives access in ${scopeName === null ? 'the store' : `${scope.kind} ${scopeName}`}`, 'a review needs at least one grant to decide about');
      return id;
    },
    async (id, trx) => {
      const row = await getReview(trx, id);
      return reviewRecord(row, m.now, await reviewersName(trx, row));
    },
  );
  return { kind: 'review', records: [record] };
}
