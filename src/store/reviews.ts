import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { reviewChanged, reviewItemsAdded, reviewStarted, ITEMS_PER_EVENT, type RemovedGrant } from '../domain/review-events.js';
import { itemLink, type LinkNow } from '../domain/reviews.js';
import { chainHead } from './audit.js';
import { insertMany } from './insert-many.js';
import type { Db, Tx } from './mutate.js';
import { frozenGrants, type ReviewScope } from './review-freeze.js';
import type { ReviewItemsTable, ReviewsTable } from './tables.js';

/** Access reviews (SPEC section 16): reads, and writes that carry their audit events. */

export async function findReview(db: Db, ref: string): Promise<ReviewsTable | undefined> {
  const id = ref.trim();
  if (!looksLikeId('review', id)) return undefined;
  return db.selectFrom('reviews').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getReview(db: Db, ref: string): Promise<ReviewsTable> {
  const row = await findReview(db, ref);
  if (row) return row;
  assertIdShape('review', ref.trim());
  throw new NotFoundError(`review ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a review id (rev_…); see accessctl review list');
}

/**
 * Reviews oldest first; `open` keeps the OPEN ones, `dueBy` those due at or before it. Each row
 * carries its reviewers group's current name (null when the group is gone): a stream holds the
 * SQLite connection, so nothing may be looked up while it is read.
 */
export function streamReviews(db: Db, filter: { open?: boolean | undefined; dueBy?: number | undefined }) {
  let q = db.selectFrom('reviews').leftJoin('groups', 'groups.id', 'reviews.reviewers_group').selectAll('reviews').select('groups.name as reviewers_name');
  if (filter.open) q = q.where('reviews.state', '=', 'OPEN');
  if (filter.dueBy !== undefined) q = q.where('reviews.due_at', 'is not', null).where('reviews.due_at', '<=', filter.dueBy);
  return q.orderBy('reviews.created_at').orderBy('reviews.id').stream();
}

/** A review's items in item order, a page at a time (keyset on the item number). */
export async function* itemPages(db: Db, reviewId: string, pageSize = ITEMS_PER_EVENT): AsyncIterable<ReviewItemsTable[]> {
  let after = 0;
  for (;;) {
    const page = await db.selectFrom('review_items').selectAll().where('review_id', '=', reviewId).where('item', '>', after).orderBy('item').limit(pageSize).execute();
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.item;
    if (page.length < pageSize) return;
  }
}

export async function getItems(db: Db, reviewId: string, items: readonly number[]): Promise<ReviewItemsTable[]> {
  if (items.length === 0) return [];
  return db.selectFrom('review_items').selectAll().where('review_id', '=', reviewId).where('item', 'in', items).orderBy('item').execute();
}

/**
 * A new review: the grants in scope frozen as its items, in the transaction that reads them, with
 * frozen_seq/frozen_hash the chain's head before its events. Items are written as they are read
 * and audited from the table a chunk at a time, so memory stays flat. Returns the item count
 * (0: nothing was written worth keeping; the caller refuses and the transaction rolls back).
 */
export async function startReview(tx: Tx, base: Omit<ReviewsTable, 'frozen_seq' | 'frozen_hash' | 'items' | 'decided'>, scope: ReviewScope, login: string): Promise<number> {
  const head = await chainHead(tx.db);
  const row: ReviewsTable = { ...base, frozen_seq: head.seq, frozen_hash: head.hash, items: 0, decided: 0 };
  await tx.db.insertInto('reviews').values(row).execute();
  let n = 0;
  for await (const chunk of frozenGrants(tx.db, scope, tx.now)) {
    if (chunk.length === 0) continue;
    const rows: ReviewItemsTable[] = chunk.map((g) => ({
      ...g,
      review_id: row.id,
      item: ++n,
      decision: null,
      decided_by: null,
      decider_id: null,
      decided_at: null,
      reason: null,
      outcome: null,
    }));
    // One statement compiled for every full batch; a row a trigger swallows fails the command.
    await insertMany(tx.db as unknown as Db, 'review_items', rows as unknown as Array<Record<string, unknown>>, ITEMS_PER_EVENT);
  }
  if (n === 0) return 0;
  row.items = n;
  await tx.db.updateTable('reviews').set({ items: n }).where('id', '=', row.id).execute();
  tx.audit(reviewStarted(row, login));
  for await (const page of itemPages(tx.db, row.id)) {
    tx.audit(reviewItemsAdded(row.id, page, login));
    await tx.flushAudit();
  }
  return n;
}

async function writeItem(tx: Tx, after: ReviewItemsTable): Promise<void> {
  const { review_id, item, decision, decided_by, decider_id, decided_at, reason, outcome } = after;
  await tx.db.updateTable('review_items').set({ decision, decided_by, decider_id, decided_at, reason, outcome }).where('review_id', '=', review_id).where('item', '=', item).execute();
}

async function writeReview(tx: Tx, after: ReviewsTable): Promise<void> {
  const { id, ...rest } = after;
  await tx.db.updateTable('reviews').set(rest).where('id', '=', id).execute();
}

export type ItemChange = { before: ReviewItemsTable; after: ReviewItemsTable };

/**
 * Item changes of one command, in events of at most ITEMS_PER_EVENT items: every chunk but the
 * last is `review.items`; the last is the command's own (`review.decide`, `review.close`) and
 * carries the review's change, built by `finish` once the seq it gets is known.
 */
export class ItemWriter {
  private held: { items: ItemChange[]; removed: RemovedGrant[] } = { items: [], removed: [] };
  /** How many items were changed. */
  count = 0;
  constructor(
    private readonly tx: Tx,
    private readonly reviewId: string,
    private readonly login: string,
  ) {}

  async add(change: ItemChange, removed?: RemovedGrant): Promise<void> {
    if (this.held.items.length === ITEMS_PER_EVENT) {
      this.tx.audit(reviewChanged('review.items', this.reviewId, this.held.items, this.login, undefined, this.held.removed));
      await this.tx.flushAudit();
      this.held = { items: [], removed: [] };
    }
    await writeItem(this.tx, change.after);
    if (removed) await removeLink(this.tx, removed);
    this.held.items.push(change);
    this.count++;
    if (removed) this.held.removed.push(removed);
  }

  /** Writes the last event; `review` gets the seq that event will have (closed_seq). */
  async finish(action: 'review.decide' | 'review.close', before: ReviewsTable, review: (seq: number) => ReviewsTable): Promise<ReviewsTable> {
    await this.tx.flushAudit();
    const seq = (await chainHead(this.tx.db)).seq + 1;
    const after = review(seq);
    await writeReview(this.tx, after);
    this.tx.audit(reviewChanged(action, this.reviewId, this.held.items, this.login, { before, after }, this.held.removed));
    return after;
  }
}

/** The frozen link as it is now (null: gone). */
export async function linkNow(db: Db, item: ReviewItemsTable): Promise<{ link: LinkNow | null; removal: RemovedGrant | null }> {
  const l = itemLink(item);
  let row: (LinkNow & Record<string, unknown>) | undefined;
  let stored: Record<string, unknown> | undefined;
  if (l.table === 'group_users') {
    row = await db.selectFrom('group_users').selectAll().where('group_id', '=', l.owner).where('user_id', '=', l.member).executeTakeFirst();
    stored = row;
  } else if (l.table === 'group_services') {
    const r = await db.selectFrom('group_services').selectAll().where('group_id', '=', l.owner).where('service_id', '=', l.member).executeTakeFirst();
    row = r && { ...r, starts_at: null };
    stored = r;
  } else {
    const r = await db.selectFrom('service_resources').selectAll().where('service_id', '=', l.owner).where('resource_id', '=', l.member).executeTakeFirst();
    row = r && { ...r, starts_at: null };
    stored = r;
  }
  if (!row || !stored) return { link: null, removal: null };
  return { link: { starts_at: row.starts_at, expires_at: row.expires_at, created_at: row.created_at }, removal: { table: l.table, row: stored } };
}

async function removeLink(tx: Tx, g: RemovedGrant): Promise<void> {
  const r = g.row as Record<string, string>;
  if (g.table === 'group_users') await tx.db.deleteFrom('group_users').where('group_id', '=', r.group_id!).where('user_id', '=', r.user_id!).execute();
  else if (g.table === 'group_services') await tx.db.deleteFrom('group_services').where('group_id', '=', r.group_id!).where('service_id', '=', r.service_id!).execute();
  else await tx.db.deleteFrom('service_resources').where('service_id', '=', r.service_id!).where('resource_id', '=', r.resource_id!).execute();
}

/** The hash of the event at `seq` (the review's close), or null. */
export async function eventHash(db: Db, seq: number | null): Promise<string | null> {
  if (seq === null) return null;
  const r = await db.selectFrom('audit_events').select('hash').where('seq', '=', seq).executeTakeFirst();
  return r?.hash ?? null;
}
