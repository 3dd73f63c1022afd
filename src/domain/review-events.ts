import { deleteChange, event, insertChange, updateChange, type AuditEntry, type Change } from './audit-events.js';
import type { ReviewItemsTable, ReviewsTable } from './rows.js';

/**
 * Audit events of access reviews (SPEC section 16): `review.*`, about the review, with the login
 * that acted in `details.login`. They carry row-level changes of `reviews`, `review_items` and, at
 * close, the grants removed (cause `review`), so replay rebuilds them and `db check` compares them.
 * Large reviews write their items in several events, each bounded by ITEMS_PER_EVENT.
 */
export type ReviewAction = 'review.start' | 'review.items' | 'review.decide' | 'review.close';

export const ITEMS_PER_EVENT = 1000;

/** A link removed at close: its table and its whole row as it was. */
export interface RemovedGrant {
  table: 'group_users' | 'group_services' | 'service_resources';
  row: object;
}

const extra = (login: string, reviewId: string) => ({ extra: { login, review: reviewId }, cause: 'review' });

export function reviewStarted(row: ReviewsTable, login: string): AuditEntry {
  return event('review.start', 'review', row.id, [insertChange('reviews', row)], extra(login, row.id));
}

/** One chunk of a new review's items. */
export function reviewItemsAdded(reviewId: string, items: readonly ReviewItemsTable[], login: string): AuditEntry {
  return event('review.items', 'review', reviewId, items.map((i) => insertChange('review_items', i)), extra(login, reviewId));
}

/** Items changed (decided, or given their outcome at close), the grants removed, and the review's own change if any. */
export function reviewChanged(
  action: Exclude<ReviewAction, 'review.start'>,
  reviewId: string,
  items: ReadonlyArray<{ before: ReviewItemsTable; after: ReviewItemsTable }>,
  login: string,
  review?: { before: ReviewsTable; after: ReviewsTable },
  removed: readonly RemovedGrant[] = [],
): AuditEntry {
  const changes: Change[] = [];
  for (const i of items) {
    const c = updateChange('review_items', i.before, i.after);
    if (c) changes.push(c);
  }
  for (const g of removed) changes.push(deleteChange(g.table, g.row));
  if (review) {
    const c = updateChange('reviews', review.before, review.after);
    if (c) changes.push(c);
  }
  return event(action, 'review', reviewId, changes, extra(login, reviewId));
}
