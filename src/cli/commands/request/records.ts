import { parsePolicy } from '../../../domain/request-policy.js';
import { liveMembership, parseApprovals, shownState, type Actor, type Approval } from '../../../domain/requests.js';
import { formatDuration, formatTimestamp as iso } from '../../../domain/time.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Db } from '../../../store/mutate.js';
import { findGroup } from '../../../store/groups.js';
import { getMembership } from '../../../store/requests.js';
import type { GroupsTable, RequestsTable } from '../../../store/tables.js';
import { findUser, findUserByLogin } from '../../../store/users.js';

/** A request as SPEC section 3 names its fields, with its state as of `now`. */
export function requestRecord(row: RequestsTable, now: number): OutputRecord {
  return {
    id: row.id,
    groupId: row.group_id,
    groupName: row.group_name,
    userId: row.user_id,
    userEmail: row.user_email,
    requestedBy: row.requested_by,
    duration: formatDuration(row.duration_ms),
    reason: row.reason,
    ticket: row.ticket,
    breakGlass: row.break_glass === 1,
    state: shownState(row, now),
    requestedStart: iso(row.start_at),
    pendingUntil: iso(row.pending_until),
    approvalsNeeded: row.approvals_needed,
    approvals: parseApprovals(row.approvals).map((a) => ({ login: a.login, userId: a.userId, at: iso(a.at), reason: a.reason })),
    startsAt: iso(row.starts_at),
    expiresAt: iso(row.expires_at),
    decidedBy: row.decided_by,
    decidedAt: iso(row.decided_at),
    decisionReason: row.decision_reason,
    reviewedBy: row.reviewed_by,
    reviewedAt: iso(row.reviewed_at),
    reviewReason: row.review_reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/**
 * Who the login is in the store and what they may do about requests to `group`: the user linked
 * to it, whether that user is a started, unexpired member of the group's approvers now (under the
 * group's current policy), and the user linked to the request's asker.
 */
export async function actorFacts(db: Db, login: string, group: GroupsTable | undefined, askedBy: string | undefined, now: number): Promise<Actor> {
  const user = await findUserByLogin(db, login);
  const policy = parsePolicy(group?.request_policy);
  const approvers = policy ? await findGroup(db, policy.approvers) : undefined;
  const member = user && approvers ? await getMembership(db, approvers.id, user.id) : undefined;
  const asker = askedBy === undefined ? undefined : await findUserByLogin(db, askedBy);
  return {
    login,
    user,
    approver: user?.state === 'ACTIVE' && liveMembership(approvers, member, now),
    approversName: approvers?.name ?? policy?.approvers ?? '(none)',
    askerUserId: asker?.id,
  };
}

/**
 * The earlier approvals that still count under the group's current policy: each approver still
 * an active, started, unexpired member of the approvers group, and neither the request's user nor
 * its asker (by login, or the user linked to the asker's login now). An approval from someone
 * removed from the approvers since, or from before the approvers group was changed, is kept on
 * the record but no longer counts towards the grant.
 */
export async function approvalsThatCount(db: Db, row: RequestsTable, group: GroupsTable, askerUserId: string | undefined, now: number): Promise<Approval[]> {
  const policy = parsePolicy(group.request_policy);
  const approvers = policy ? await findGroup(db, policy.approvers) : undefined;
  const counting: Approval[] = [];
  for (const a of parseApprovals(row.approvals)) {
    if (a.userId === row.user_id || a.userId === askerUserId || a.login === row.requested_by) continue;
    const user = await findUser(db, a.userId);
    if (!user || user.state !== 'ACTIVE' || !approvers) continue;
    if (liveMembership(approvers, await getMembership(db, approvers.id, user.id), now)) counting.push(a);
  }
  return counting;
}
