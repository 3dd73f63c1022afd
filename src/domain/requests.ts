import { canonicalJson } from './canonical-json.js';
import type { RequestPolicy } from './request-policy.js';
import { formatDuration } from './time.js';
import type { GroupsTable, GroupUsersTable, RequestsTable, UsersTable } from './rows.js';

/**
 * Access requests (SPEC section 15), as rules without a store: the state a request is in now,
 * who may act on it and why not, and the window a grant gets when it is approved.
 */

export type StoredState = RequestsTable['state'];
/** What people see: EXPIRED and ENDED are judged at read time, like every expiry. */
export type RequestState = StoredState | 'EXPIRED' | 'ENDED';
export const REQUEST_STATES: readonly RequestState[] = ['PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'REVOKED', 'EXPIRED', 'ENDED'];

export function shownState(row: Pick<RequestsTable, 'state' | 'pending_until' | 'expires_at'>, now: number): RequestState {
  if (row.state === 'PENDING' && now >= row.pending_until) return 'EXPIRED';
  if (row.state === 'APPROVED' && row.expires_at !== null && row.expires_at <= now) return 'ENDED';
  return row.state;
}

export interface Approval {
  login: string;
  userId: string;
  at: number;
  reason: string | null;
}

/**
 * The approvals a request row holds. Only well-formed ones are read: a row edited by hand (which
 * db check names) neither breaks show and list nor adds an approval that counts.
 */
export function parseApprovals(text: string): Approval[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter(isApproval) : [];
  } catch {
    return [];
  }
}

function isApproval(v: unknown): v is Approval {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.login === 'string' &&
    typeof a.userId === 'string' &&
    typeof a.at === 'number' &&
    Number.isFinite(a.at) &&
    Math.abs(a.at) <= 8.64e15 &&
    (a.reason === null || typeof a.reason === 'string')
  );
}

export function serializeApprovals(list: readonly Approval[]): string {
  return canonicalJson(list.map((a) => ({ at: a.at, login: a.login, reason: a.reason, userId: a.userId })));
}

/** Who is acting: their login and the user linked to it (if any), and that user's standing in the approvers group. */
export interface Actor {
  login: string;
  user: UsersTable | undefined;
  /** Whether the user is a started, unexpired member of the approvers group (and the group is live). */
  approver: boolean;
  approversName: string;
  /** The user linked to the request's asker's login (compared too: asking and approving as one person). */
  askerUserId: string | undefined;
}

/** A group's membership gives its rights now: the group active and unexpired, the membership started and unexpired. */
export function liveMembership(group: GroupsTable | undefined, member: Pick<GroupUsersTable, 'starts_at' | 'expires_at'> | undefined, now: number): boolean {
  if (!group || !member || group.is_active !== 1) return false;
  if (group.expires_at !== null && group.expires_at <= now) return false;
  if (member.starts_at !== null && member.starts_at > now) return false;
  return member.expires_at === null || member.expires_at > now;
}

/** Why this actor may not approve, deny or review the request (exit 5), or null when they may. */
export function whyMayNotDecide(row: RequestsTable, actor: Actor): string | null {
  const linked = linkedUserProblem(actor);
  if (linked) return linked;
  if (actor.user!.id === row.user_id) return 'you are the user this access is for';
  if (actor.login === row.requested_by || actor.askerUserId === actor.user!.id) return 'you asked for it';
  if (!actor.approver) return `not a member of approvers group ${actor.approversName}`;
  return null;
}

/** Why this actor may not revoke the grant: approvers and the user it is for may. */
export function whyMayNotRevoke(row: RequestsTable, actor: Actor): string | null {
  const linked = linkedUserProblem(actor);
  if (linked) return linked;
  if (actor.user!.id === row.user_id || actor.approver) return null;
  return `not the user this access is for, nor a member of approvers group ${actor.approversName}`;
}

function linkedUserProblem(actor: Actor): string | null {
  if (!actor.user) return `no user is linked to login ${actor.login}`;
  if (actor.user.state !== 'ACTIVE') return `your user ${actor.user.email} is disabled`;
  return null;
}

export function alreadyApprovedBy(row: RequestsTable, actor: Actor): boolean {
  return parseApprovals(row.approvals).some((a) => a.login === actor.login || a.userId === actor.user?.id);
}

/** The grant an approval at `now` gives: the clock starts at approval, or at `--start` if later. */
export function grantWindow(row: Pick<RequestsTable, 'start_at' | 'duration_ms'>, now: number): { startsAt: number; expiresAt: number } {
  const startsAt = Math.max(now, row.start_at ?? now);
  return { startsAt, expiresAt: startsAt + row.duration_ms };
}

export type MembershipPlan =
  | { kind: 'insert' }
  | { kind: 'keep' }
  | { kind: 'set'; startsAt: number | null; expiresAt: number | null }
  | { kind: 'conflict' };

/**
 * What the approval does to the user's membership row, given the one they already have. A row
 * holds one interval, so: none or ended → the window; one that already covers the window → left
 * alone; one that overlaps or touches it → the union (no access the user had is lost); one that
 * lies apart from it in the future → refused, since replacing it would drop that grant.
 */
export function planMembership(existing: Pick<GroupUsersTable, 'starts_at' | 'expires_at'> | undefined, w: { startsAt: number; expiresAt: number }, now: number): MembershipPlan {
  if (!existing) return { kind: 'insert' };
  const start = existing.starts_at ?? -Infinity;
  const end = existing.expires_at ?? Infinity;
  if (end <= now) return { kind: 'set', startsAt: w.startsAt, expiresAt: w.expiresAt };
  if (start <= w.startsAt && end >= w.expiresAt) return { kind: 'keep' };
  if (end < w.startsAt || start > w.expiresAt) return { kind: 'conflict' };
  const startsAt = start <= w.startsAt ? existing.starts_at : w.startsAt;
  return { kind: 'set', startsAt, expiresAt: existing.expires_at === null ? null : Math.max(end, w.expiresAt) };
}

/** What the grant did to the membership row, as its audit event tells: inserted it, changed some of its times, or left it. */
export type GrantChange =
  | { kind: 'insert' }
  | { kind: 'update'; from: Partial<Pick<GroupUsersTable, 'starts_at' | 'expires_at'>>; to: Partial<Pick<GroupUsersTable, 'starts_at' | 'expires_at'>> }
  | { kind: 'none' };

export type RevokePlan = { kind: 'delete' } | { kind: 'set'; startsAt: number | null; expiresAt: number | null } | { kind: 'keep' };

/**
 * What a revoke does to the membership: the access the request added ends, and what the user held
 * anyway stays. A row the grant made is removed; times the grant moved (an earlier start, a later
 * end: the union with a membership the user had) go back to what they were, unless something
 * changed them since; a row the grant left alone stays. Without the grant's event (`undefined`),
 * the request's own times decide: a row ending at the request's end is removed, one starting at
 * its start starts at its end instead, so the request's window never outlives the revoke.
 */
export function planRevoke(
  row: Pick<RequestsTable, 'starts_at' | 'expires_at'>,
  member: Pick<GroupUsersTable, 'starts_at' | 'expires_at'> | undefined,
  grant: GrantChange | undefined,
  now: number,
): RevokePlan {
  if (!member || grant?.kind === 'none') return { kind: 'keep' };
  const ownEnd = member.expires_at !== null && member.expires_at === row.expires_at;
  const ownStart = member.starts_at !== null && member.starts_at === row.starts_at;
  if (grant?.kind !== 'update') {
    if (ownEnd) return { kind: 'delete' };
    if (!ownStart) return { kind: 'keep' };
    return member.expires_at !== null && member.expires_at <= row.expires_at! ? { kind: 'delete' } : { kind: 'set', startsAt: row.expires_at, expiresAt: member.expires_at };
  }
  let startsAt = member.starts_at;
  let expiresAt = member.expires_at;
  if ('starts_at' in grant.from && grant.to.starts_at === member.starts_at) startsAt = grant.from.starts_at ?? null;
  if ('expires_at' in grant.from && grant.to.expires_at === member.expires_at) expiresAt = grant.from.expires_at ?? null;
  if (expiresAt !== null && expiresAt <= now) return { kind: 'delete' };
  if (startsAt === member.starts_at && expiresAt === member.expires_at) return { kind: 'keep' };
  return { kind: 'set', startsAt, expiresAt };
}

/** The policy errors of a new request (exit 2), in the order a person fixes them. */
export function whyNotRequestable(policy: RequestPolicy, group: string, req: { durationMs: number; reason: string; breakGlass: boolean }): { message: string; hint: string } | null {
  if (req.durationMs > policy.maxDuration) {
    return { message: `--for ${formatDuration(req.durationMs)} is over the ${formatDuration(policy.maxDuration)} group ${group} allows`, hint: 'ask for less with --for' };
  }
  if (policy.requireReason && req.reason.trim() === '') return { message: `group ${group} requires a reason`, hint: 'pass --reason TEXT' };
  if (req.breakGlass && !policy.breakGlass) return { message: `group ${group} does not allow break-glass requests`, hint: 'ask without --break-glass, for approval' };
  if (req.breakGlass && req.reason.trim() === '') return { message: 'a break-glass request needs a reason', hint: 'pass --reason TEXT' };
  return null;
}

/** What may still be done from a state, for exit 4's hint. */
export function whatNext(state: RequestState): string {
  switch (state) {
    case 'PENDING':
      return 'a pending request can be approved, denied or cancelled';
    case 'APPROVED':
      return 'an approved request can be revoked';
    case 'EXPIRED':
      return 'it waited past its pending time; make a new request';
    case 'ENDED':
      return 'the grant is over; make a new request';
    default:
      return `a ${state.toLowerCase()} request is final; make a new request`;
  }
}
