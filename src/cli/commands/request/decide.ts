import { ConflictError, DeniedError, UsageError } from '../../../domain/errors.js';
import { parsePolicy } from '../../../domain/request-policy.js';
import {
  alreadyApprovedBy,
  grantWindow,
  parseApprovals,
  planMembership,
  revokeRemovesMembership,
  serializeApprovals,
  shownState,
  whyMayNotDecide,
  whyMayNotRevoke,
  whatNext,
  type RequestState,
} from '../../../domain/requests.js';
import { formatDuration, formatTimestamp } from '../../../domain/time.js';
import { validateOptionalText } from '../../../domain/validate.js';
import { findGroup } from '../../../store/groups.js';
import { mutateAndRead, type Tx } from '../../../store/mutate.js';
import { getMembership, getRequest, updateRequest } from '../../../store/requests.js';
import type { GroupUsersTable, RequestsTable } from '../../../store/tables.js';
import { findUser } from '../../../store/users.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { meta } from '../shared.js';
import { actorFacts, approvalsThatCount, requestRecord } from './records.js';

export type Decision = 'approve' | 'deny' | 'cancel' | 'revoke' | 'review';

/** A membership the approval would have to overwrite, losing a grant the user holds apart from this window. */
export function membershipConflict(email: string, group: string, existing: GroupUsersTable): ConflictError {
  return new ConflictError(
    `${email} already has a membership of ${group} from ${formatTimestamp(existing.starts_at) ?? 'the start'} until ${formatTimestamp(existing.expires_at) ?? 'never'} that this window does not touch`,
    'a membership holds one interval; ask for a start that meets it, or change the membership first',
  );
}

/** Without a policy there are no approvers: the request waits for its asker or its pending time. */
function noLongerRequestable(row: RequestsTable): ConflictError {
  return new ConflictError(`group ${row.group_name} is no longer requestable`, `its asker can cancel the request; otherwise it expires at ${formatTimestamp(row.pending_until)}`);
}

function wrongState(row: RequestsTable, state: RequestState, verb: Decision): ConflictError {
  return new ConflictError(`cannot ${verb} request ${row.id}: it is ${state}`, whatNext(state));
}

/**
 * approve, deny, cancel, revoke and review: each checks the request's state as of now and who
 * the login is, then changes the request (and, for the last approval or a revoke, the membership)
 * and writes one audit event, all in one transaction.
 */
export async function runRequestDecide(decision: Decision, ref: string, reasonText: string | undefined, ctx: Ctx): Promise<Output> {
  const reason = validateOptionalText('--reason', reasonText);
  if ((decision === 'deny' || decision === 'review') && (reason === undefined || reason.trim() === '')) {
    throw new UsageError(`request ${decision} needs a reason`, 'pass --reason TEXT');
  }
  const login = await currentLogin(ctx);
  const m = meta(ctx);
  const record = await mutateAndRead(
    ctx.store().db,
    m,
    async (tx) => {
      const row = await getRequest(tx.db, ref);
      await STEPS[decision](tx, row, login, reason ?? null, (msg) => ctx.note(msg));
      return row.id;
    },
    async (id, trx) => requestRecord(await getRequest(trx, id), m.now),
  );
  return { kind: 'request', records: [record] };
}

type Step = (tx: Tx, row: RequestsTable, login: string, reason: string | null, note: (message: string) => void) => Promise<void>;

const approve: Step = async (tx, row, login, reason, note) => {
  const state = shownState(row, tx.now);
  if (state !== 'PENDING') throw wrongState(row, state, 'approve');
  const group = await findGroup(tx.db, row.group_id);
  // The group's policy as it is now decides who approves and how many: one tightened since the
  // request was made applies to it.
  const policy = parsePolicy(group?.request_policy);
  if (!group || !policy) throw noLongerRequestable(row);
  const actor = await actorFacts(tx.db, login, group, row.requested_by, tx.now);
  const why = whyMayNotDecide(row, actor);
  if (why) throw new DeniedError(`you may not approve request ${row.id}: ${why}`, 'another approver must decide');
  if (alreadyApprovedBy(row, actor)) throw new ConflictError(`request ${row.id} is already approved by you`, `it needs ${policy.approvals} distinct approvers`);
  if (row.duration_ms > policy.maxDuration) {
    throw new ConflictError(
      `request ${row.id} asks for ${formatDuration(row.duration_ms)}, over the ${formatDuration(policy.maxDuration)} group ${group.name} allows now`,
      'deny it; its user can ask again for less',
    );
  }
  const mine = { login, userId: actor.user!.id, at: tx.now, reason };
  const approvals = [...parseApprovals(row.approvals), mine];
  // Only approvals from people who may still approve count: the current policy decides.
  const counting = [...(await approvalsThatCount(tx.db, row, group, actor.askerUserId, tx.now)), mine];
  const after: RequestsTable = { ...row, approvals: serializeApprovals(approvals), approvals_needed: policy.approvals, updated_at: tx.now };
  if (counting.length < policy.approvals) {
    await updateRequest(tx, 'request.approve', row, after, login);
    const stale = approvals.length - counting.length;
    const staleNote = stale > 0 ? ` (${stale} earlier approval${stale === 1 ? '' : 's'} no longer count${stale === 1 ? 's' : ''}: not an approver now)` : '';
    note(`note: approval ${counting.length} of ${policy.approvals}${staleNote}; request ${row.id} stays PENDING`);
    return;
  }
  const user = await findUser(tx.db, row.user_id);
  if (!user) throw new ConflictError(`the user of request ${row.id} (${row.user_email}) no longer exists`, 'deny the request');
  const w = grantWindow(row, tx.now);
  const existing = await getMembership(tx.db, row.group_id, row.user_id);
  const plan = planMembership(existing, w, tx.now);
  if (plan.kind === 'conflict') throw membershipConflict(user.email, group.name, existing!);
  Object.assign(after, { state: 'APPROVED', starts_at: w.startsAt, expires_at: w.expiresAt, decided_by: login, decided_at: tx.now, decision_reason: reason });
  const membership: GroupUsersTable | null =
    plan.kind === 'insert'
      ? { group_id: row.group_id, user_id: row.user_id, starts_at: w.startsAt, expires_at: w.expiresAt, created_at: tx.now }
      : plan.kind === 'set'
        ? { ...existing!, starts_at: plan.startsAt, expires_at: plan.expiresAt }
        : null;
  await updateRequest(tx, 'request.approve', row, after, login, membership ? { before: existing ?? null, after: membership } : undefined);
  if (plan.kind === 'keep') note(`note: ${user.email} already holds a membership of ${group.name} that covers this window; it was left as it is`);
};

const deny: Step = async (tx, row, login, reason) => {
  const state = shownState(row, tx.now);
  if (state !== 'PENDING') throw wrongState(row, state, 'deny');
  const group = await findGroup(tx.db, row.group_id);
  if (!parsePolicy(group?.request_policy)) throw noLongerRequestable(row);
  const actor = await actorFacts(tx.db, login, group, row.requested_by, tx.now);
  const why = whyMayNotDecide(row, actor);
  if (why) throw new DeniedError(`you may not deny request ${row.id}: ${why}`, 'an approver of the group decides; the asker can cancel');
  await updateRequest(tx, 'request.deny', row, { ...row, state: 'DENIED', decided_by: login, decided_at: tx.now, decision_reason: reason, updated_at: tx.now }, login);
};

const cancel: Step = async (tx, row, login, reason) => {
  const state = shownState(row, tx.now);
  if (login !== row.requested_by) throw new DeniedError(`you may not cancel request ${row.id}: you did not ask for it`, `only its asker (${row.requested_by}) can; an approver can deny it`);
  if (state !== 'PENDING') throw wrongState(row, state, 'cancel');
  await updateRequest(tx, 'request.cancel', row, { ...row, state: 'CANCELLED', decided_by: login, decided_at: tx.now, decision_reason: reason, updated_at: tx.now }, login);
};

const revoke: Step = async (tx, row, login, reason, note) => {
  const state = shownState(row, tx.now);
  if (state !== 'APPROVED') throw wrongState(row, state, 'revoke');
  const group = await findGroup(tx.db, row.group_id);
  const actor = await actorFacts(tx.db, login, group, undefined, tx.now);
  const why = whyMayNotRevoke(row, actor);
  if (why) throw new DeniedError(`you may not revoke request ${row.id}: ${why}`, 'an approver of the group or the user it is for can');
  const member = await getMembership(tx.db, row.group_id, row.user_id);
  const removes = revokeRemovesMembership(row, member);
  const after: RequestsTable = { ...row, state: 'REVOKED', decided_by: login, decided_at: tx.now, decision_reason: reason, updated_at: tx.now };
  await updateRequest(tx, 'request.revoke', row, after, login, removes ? { before: member!, after: null } : undefined);
  if (!removes && member) note(`note: ${row.user_email}'s membership of ${row.group_name} was not made by this request; it was left as it is`);
};

const review: Step = async (tx, row, login, reason) => {
  if (row.break_glass !== 1) throw new ConflictError(`request ${row.id} is not a break-glass request`, 'only break-glass grants are reviewed after the fact');
  if (row.reviewed_by !== null) throw new ConflictError(`request ${row.id} is already reviewed by ${row.reviewed_by}`, 'a break-glass grant is reviewed once');
  const group = await findGroup(tx.db, row.group_id);
  const actor = await actorFacts(tx.db, login, group, row.requested_by, tx.now);
  const why = whyMayNotDecide(row, actor);
  if (why) throw new DeniedError(`you may not review request ${row.id}: ${why}`, 'another approver of the group must review it');
  await updateRequest(tx, 'request.review', row, { ...row, reviewed_by: login, reviewed_at: tx.now, review_reason: reason, updated_at: tx.now }, login);
};

const STEPS: Record<Decision, Step> = { approve, deny, cancel, revoke, review };
