import { UsageError } from './errors.js';
import type { ReviewItemsTable, ReviewsTable, UsersTable } from './rows.js';

/**
 * Access reviews (SPEC section 16), as rules without a store: which items a list like `1,4-9`
 * names, who may decide and why not, and what closing does to each item.
 */

export type Decision = NonNullable<ReviewItemsTable['decision']>;
export type Outcome = NonNullable<ReviewItemsTable['outcome']>;

/** The most items one ITEMS argument may name: a range is expanded, so it is bounded. */
export const MAX_ITEMS_ARG = 1_000_000;

/** `1,4-9` → [1, 4, 5, 6, 7, 8, 9], in order, each once; every number must be an item of the review. */
export function parseItems(text: string, count: number): number[] {
  const out = new Set<number>();
  const parts = text.split(',').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === '')) throw new UsageError(`malformed item list ${JSON.stringify(text.slice(0, 80))}`, 'pass item numbers like 1,4-9');
  for (const part of parts) {
    const m = /^(\d{1,9})(?:\s*-\s*(\d{1,9}))?$/.exec(part);
    if (!m) throw new UsageError(`malformed item list ${JSON.stringify(text.slice(0, 80))}: ${JSON.stringify(part)}`, 'pass item numbers like 1,4-9');
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`item range ${part} runs backwards`, `write it as ${to}-${from}`);
    for (const n of [from, to]) {
      if (n < 1 || n > count) throw new UsageError(`no item ${n} in this review`, count === 0 ? 'it has no items' : `its items are 1-${count}`);
    }
    if (out.size + (to - from + 1) > MAX_ITEMS_ARG) throw new UsageError('too many items in one list', 'decide in parts, or with --file');
    for (let n = from; n <= to; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

export function parseDecision(text: string): Decision | undefined {
  const t = text.trim().toLowerCase();
  return t === 'keep' ? 'KEEP' : t === 'revoke' ? 'REVOKE' : undefined;
}

/** Who is acting: the login, the user linked to it, and that user's standing in the reviewers group. */
export interface Reviewer {
  login: string;
  user: UsersTable | undefined;
  /** The reviewers group's name, or null when the review has none (any linked user decides). */
  reviewersName: string | null;
  /** Whether the user is a started, unexpired member of the (live) reviewers group. */
  member: boolean;
}

/** Why this login may not decide (or close) the review at all (exit 5), or null when they may. */
export function whyMayNotReview(r: Reviewer): string | null {
  if (!r.user) return `no user is linked to login ${r.login}`;
  if (r.user.state !== 'ACTIVE') return `your user ${r.user.email} is disabled`;
  if (r.reviewersName !== null && !r.member) return `not a member of reviewers group ${r.reviewersName}`;
  return null;
}

/** Nobody decides about their own access: a user's membership is about that user. */
export function isAbout(item: Pick<ReviewItemsTable, 'subject_type' | 'subject_id'>, user: UsersTable): boolean {
  return item.subject_type === 'user' && item.subject_id === user.id;
}

/** The link a `service_resource` item froze: its resource is the one thing it gives. */
export function itemLink(item: Pick<ReviewItemsTable, 'kind' | 'owner_id' | 'subject_id' | 'gives'>): { table: 'group_users' | 'group_services' | 'service_resources'; owner: string; member: string } {
  if (item.kind === 'group_user') return { table: 'group_users', owner: item.owner_id, member: item.subject_id };
  if (item.kind === 'group_service') return { table: 'group_services', owner: item.owner_id, member: item.subject_id };
  const gives = parseGives(item.gives);
  return { table: 'service_resources', owner: item.owner_id, member: gives[0]?.id ?? item.subject_id };
}

export function parseGives(text: string): Array<{ id: string; name: string }> {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as Array<{ id: string; name: string }>) : [];
  } catch {
    return [];
  }
}

/** The link as it is now (null: gone), in the columns a freeze records. */
export interface LinkNow {
  starts_at: number | null;
  expires_at: number | null;
  created_at: number;
}

/**
 * What closing does to an item: a kept grant is KEPT; a revoked one is REMOVED when it still is
 * as frozen, CHANGED (left alone, reported) when it was re-timed or re-made since, GONE when it
 * no longer exists.
 */
export function closeOutcome(item: Pick<ReviewItemsTable, 'decision' | 'starts_at' | 'expires_at' | 'link_created_at'>, link: LinkNow | null): Outcome {
  if (item.decision === 'KEEP') return 'KEPT';
  if (link === null) return 'GONE';
  const same = link.starts_at === item.starts_at && link.expires_at === item.expires_at && link.created_at === item.link_created_at;
  return same ? 'REMOVED' : 'CHANGED';
}

/** An OPEN review past its due time, judged when read. */
export function isOverdue(row: Pick<ReviewsTable, 'state' | 'due_at'>, now: number): boolean {
  return row.state === 'OPEN' && row.due_at !== null && row.due_at <= now;
}

/** A review's default name: what it covers. */
export function defaultReviewName(scope: ReviewsTable['scope'], scopeName: string | null): string {
  if (scope === 'all') return 'review of all access';
  return `review of ${scope} ${scopeName ?? ''}`.trim();
}
