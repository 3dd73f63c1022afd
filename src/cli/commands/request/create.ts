import { ConflictError, DeniedError, UsageError } from '../../../domain/errors.js';
import { parsePolicy } from '../../../domain/request-policy.js';
import { grantWindow, planMembership, whyNotRequestable } from '../../../domain/requests.js';
import { expiryAfter, formatDuration } from '../../../domain/time.js';
import { validateOptionalText } from '../../../domain/validate.js';
import { getGroup } from '../../../store/groups.js';
import { mutateAndRead } from '../../../store/mutate.js';
import { getMembership, getRequest, insertRequest, pendingRequest } from '../../../store/requests.js';
import type { GroupUsersTable, RequestsTable } from '../../../store/tables.js';
import { findUserByLogin, getUser } from '../../../store/users.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { currentLogin } from '../../login.js';
import { meta } from '../shared.js';
import { membershipConflict } from './decide.js';
import { requestRecord } from './records.js';

export interface RequestCreateOptions {
  group: string;
  durationMs: number;
  /** On someone's behalf; by default the user linked to the login. */
  user?: string | undefined;
  reason?: string | undefined;
  ticket?: string | undefined;
  start?: number | undefined;
  breakGlass?: boolean | undefined;
}

/**
 * `request create`: a PENDING request, or with --break-glass on a group that allows it, a grant
 * made at once (APPROVED, flagged for review) with its membership, in one transaction.
 */
export async function runRequestCreate(opts: RequestCreateOptions, ctx: Ctx): Promise<Output> {
  const reason = validateOptionalText('--reason', opts.reason) ?? '';
  const ticket = validateOptionalText('--ticket', opts.ticket, 255) ?? '';
  const login = await currentLogin(ctx);
  const m = meta(ctx);
  const record = await mutateAndRead(
    ctx.store().db,
    m,
    async (tx) => {
      const group = await getGroup(tx.db, opts.group);
      const policy = parsePolicy(group.request_policy);
      if (!policy) throw new UsageError(`group ${group.name} is not requestable`, `an admin makes it so: accessctl group update ${group.name} --requestable --approvers GROUP`);
      if (group.is_active !== 1 || (group.expires_at !== null && group.expires_at <= tx.now)) throw new ConflictError(`group ${group.name} is expired or inactive`, 'nothing it would grant reaches anything');
      const problem = whyNotRequestable(policy, group.name, { durationMs: opts.durationMs, reason, breakGlass: Boolean(opts.breakGlass) });
      if (problem) throw new UsageError(problem.message, problem.hint);
      // The grant's end must be a time every reader can read back (export, apply, show).
      expiryAfter(Math.max(tx.now, opts.start ?? tx.now), opts.durationMs, `--for ${formatDuration(opts.durationMs)} from --start`);
      const user = opts.user !== undefined ? await getUser(tx.db, opts.user) : await findUserByLogin(tx.db, login);
      if (opts.breakGlass && opts.user !== undefined) {
        // A break-glass grant is decided by its asker: on someone's behalf, that must be a person who could decide.
        const asker = await findUserByLogin(tx.db, login);
        const hint = 'a break-glass grant on someone\'s behalf is decided by its asker; ask without --break-glass, for approval';
        if (!asker) throw new DeniedError(`no user is linked to login ${login}`, hint);
        if (asker.state !== 'ACTIVE') throw new DeniedError(`your user ${asker.email} is disabled`, hint);
      }
      if (!user) throw new DeniedError(`no user is linked to login ${login}`, `an admin links it: accessctl user update USER --login ${login}; or pass --user`);
      if (user.state !== 'ACTIVE') throw new ConflictError(`user ${user.email} is disabled`, 'a disabled user reaches nothing; enable the user first');
      const waiting = await pendingRequest(tx.db, user.id, group.id, tx.now);
      if (waiting) throw new ConflictError(`${user.email} already has a pending request for ${group.name}: ${waiting.id}`, 'wait for its decision, or cancel it first');
      const row: RequestsTable = {
        id: tx.ids.id('request'),
        group_id: group.id,
        group_name: group.name,
        user_id: user.id,
        user_email: user.email,
        requested_by: login,
        duration_ms: opts.durationMs,
        reason,
        ticket,
        break_glass: opts.breakGlass ? 1 : 0,
        state: 'PENDING',
        start_at: opts.start ?? null,
        pending_until: tx.now + policy.pendingTtl,
        approvals_needed: policy.approvals,
        approvals: '[]',
        starts_at: null,
        expires_at: null,
        decided_by: null,
        decided_at: null,
        decision_reason: null,
        reviewed_by: null,
        reviewed_at: null,
        review_reason: null,
        created_at: tx.now,
        updated_at: tx.now,
      };
      if (!opts.breakGlass) {
        await insertRequest(tx, row, login);
        return row.id;
      }
      // Break-glass: granted now, reviewed after the fact (request review).
      const w = grantWindow(row, tx.now);
      const existing = await getMembership(tx.db, group.id, user.id);
      const plan = planMembership(existing, w, tx.now);
      if (plan.kind === 'conflict') throw membershipConflict(user.email, group.name, existing!);
      Object.assign(row, { state: 'APPROVED', starts_at: w.startsAt, expires_at: w.expiresAt, decided_by: login, decided_at: tx.now });
      const after: GroupUsersTable | null =
        plan.kind === 'insert'
          ? { group_id: group.id, user_id: user.id, starts_at: w.startsAt, expires_at: w.expiresAt, created_at: tx.now }
          : plan.kind === 'set'
            ? { ...existing!, starts_at: plan.startsAt, expires_at: plan.expiresAt }
            : null;
      await insertRequest(tx, row, login, after ? { before: existing ?? null, after } : undefined);
      return row.id;
    },
    async (id, trx) => requestRecord(await getRequest(trx, id), m.now),
  );
  if (opts.breakGlass) ctx.note(`note: break-glass access granted until ${String(record.expiresAt)}; it stays on request list --unreviewed until an approver reviews it`);
  return { kind: 'request', records: [record] };
}
