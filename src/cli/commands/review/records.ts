import { liveMembership } from '../../../domain/requests.js';
import { isOverdue, parseGives, type Reviewer } from '../../../domain/reviews.js';
import { formatTimestamp as iso } from '../../../domain/time.js';
import type { OutputRecord } from '../../../output/fields.js';
import { findGroup } from '../../../store/groups.js';
import type { Db } from '../../../store/mutate.js';
import { getMembership } from '../../../store/requests.js';
import type { ReviewItemsTable, ReviewsTable } from '../../../store/tables.js';
import { findUser, findUserByLogin } from '../../../store/users.js';

/** A review as SPEC section 16 names its fields; `reviewersGroup` by its current name when it still exists. */
export function reviewRecord(row: ReviewsTable, now: number, reviewersName: string | null): OutputRecord {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    scopeId: row.scope_id,
    scopeName: row.scope_name,
    state: row.state,
    overdue: isOverdue(row, now),
    reviewersGroup: reviewersName,
    dueAt: iso(row.due_at),
    frozenAt: iso(row.frozen_at),
    frozenSeq: row.frozen_seq,
    frozenHash: row.frozen_hash,
    items: row.items,
    decided: row.decided,
    startedBy: row.started_by,
    closedAt: iso(row.closed_at),
    closedSeq: row.closed_seq,
    closedBy: row.closed_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function reviewersName(db: Db, row: ReviewsTable): Promise<string | null> {
  if (row.reviewers_group === null) return null;
  return (await findGroup(db, row.reviewers_group))?.name ?? row.reviewers_group;
}

/** Deciders' emails by user id, looked up once each. */
export function deciderEmails(db: Db): (id: string | null) => Promise<string | null> {
  const seen = new Map<string, string | null>();
  return async (id) => {
    if (id === null) return null;
    if (!seen.has(id)) seen.set(id, (await findUser(db, id))?.email ?? null);
    return seen.get(id)!;
  };
}

/** `gives` as names joined with ';' (tables, CSV), or with `withIds` as [{id, name}] (the JSON evidence). */
export function itemRecord(row: ReviewItemsTable, decider: string | null, withIds = false): OutputRecord {
  const gives = parseGives(row.gives);
  return {
    item: row.item,
    kind: row.kind,
    owner: row.owner_name,
    ownerId: row.owner_id,
    subjectType: row.subject_type,
    subject: row.subject_name,
    subjectId: row.subject_id,
    gives: withIds ? gives : gives.map((g) => g.name).join(';'),
    startsAt: iso(row.starts_at),
    expiresAt: iso(row.expires_at),
    decision: row.decision,
    decidedBy: row.decided_by,
    decider,
    decidedAt: iso(row.decided_at),
    reason: row.reason,
    outcome: row.outcome,
  };
}

/** Who the login is in the store, and whether their user is a started, unexpired member of the review's reviewers group now. */
export async function reviewerFacts(db: Db, login: string, review: ReviewsTable, now: number): Promise<Reviewer> {
  const user = await findUserByLogin(db, login);
  if (review.reviewers_group === null) return { login, user, reviewersName: null, member: false };
  const group = await findGroup(db, review.reviewers_group);
  const member = user && group ? await getMembership(db, group.id, user.id) : undefined;
  return { login, user, reviewersName: group?.name ?? review.reviewers_group, member: liveMembership(group, member, now) };
}
