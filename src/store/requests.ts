import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { requestChanged, requestCreated, type MembershipChange, type RequestAction } from '../domain/request-events.js';
import type { GrantChange, RequestState } from '../domain/requests.js';
import type { Db, Tx } from './mutate.js';
import type { GroupUsersTable, RequestsTable } from './tables.js';

/** Access requests (SPEC section 15): reads, and writes that carry their audit event. */

export async function findRequest(db: Db, ref: string): Promise<RequestsTable | undefined> {
  const id = ref.trim();
  if (!looksLikeId('request', id)) return undefined;
  return db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getRequest(db: Db, ref: string): Promise<RequestsTable> {
  const row = await findRequest(db, ref);
  if (row) return row;
  assertIdShape('request', ref.trim());
  throw new NotFoundError(`request ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a request id (req_…); see accessctl request list');
}

export interface RequestFilter {
  state?: RequestState | undefined;
  groupId?: string | undefined;
  userId?: string | undefined;
  /** Requests for this user or asked by this login (`--mine`). */
  mine?: { login: string; userId: string | undefined } | undefined;
  /** Break-glass grants nobody has reviewed yet. */
  unreviewed?: boolean | undefined;
}

/** Requests oldest first; EXPIRED and ENDED are stored as PENDING and APPROVED and told apart by `now`. */
export function streamRequests(db: Db, filter: RequestFilter, now: number) {
  let q = db.selectFrom('requests').selectAll();
  switch (filter.state) {
    case undefined:
      break;
    case 'PENDING':
      q = q.where('state', '=', 'PENDING').where('pending_until', '>', now);
      break;
    case 'EXPIRED':
      q = q.where('state', '=', 'PENDING').where('pending_until', '<=', now);
      break;
    case 'APPROVED':
      q = q.where('state', '=', 'APPROVED').where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      break;
    case 'ENDED':
      q = q.where('state', '=', 'APPROVED').where('expires_at', '<=', now);
      break;
    default:
      q = q.where('state', '=', filter.state);
  }
  if (filter.groupId !== undefined) q = q.where('group_id', '=', filter.groupId);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  const mine = filter.mine;
  if (mine) q = q.where((eb) => eb.or([eb('requested_by', '=', mine.login), ...(mine.userId ? [eb('user_id', '=', mine.userId)] : [])]));
  if (filter.unreviewed) q = q.where('break_glass', '=', 1).where('reviewed_by', 'is', null).where('state', '!=', 'DENIED').where('state', '!=', 'CANCELLED');
  return q.orderBy('created_at').orderBy('id').stream();
}

/** A request for this user and group that still waits for a decision. */
export async function pendingRequest(db: Db, userId: string, groupId: string, now: number): Promise<RequestsTable | undefined> {
  return db
    .selectFrom('requests')
    .selectAll()
    .where('user_id', '=', userId)
    .where('group_id', '=', groupId)
    .where('state', '=', 'PENDING')
    .where('pending_until', '>', now)
    .executeTakeFirst();
}

export async function getMembership(db: Db, groupId: string, userId: string): Promise<GroupUsersTable | undefined> {
  return db.selectFrom('group_users').selectAll().where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
}

/**
 * What the request's grant did to the membership, from the event that approved it (the last
 * approval, or a break-glass create): undefined when that event is no longer in the log.
 */
export async function grantChange(db: Db, requestId: string): Promise<GrantChange | undefined> {
  const events = await db
    .selectFrom('audit_events')
    .select(['details'])
    .where('target_type', '=', 'request')
    .where('target_id', '=', requestId)
    .where('action', 'in', ['request.create', 'request.approve'])
    .orderBy('seq', 'desc')
    .execute();
  for (const e of events) {
    const changes = parseChanges(e.details);
    const granted = changes.some((c) => c.table === 'requests' && (c.op === 'insert' ? c.row?.state : c.to?.state) === 'APPROVED');
    if (!granted) continue;
    const m = changes.find((c) => c.table === 'group_users');
    if (!m) return { kind: 'none' };
    if (m.op === 'insert') return { kind: 'insert' };
    if (m.op === 'update') return { kind: 'update', from: times(m.from), to: times(m.to) };
    return undefined;
  }
  return undefined;
}

interface LoggedChange {
  op?: string;
  table?: string;
  row?: Record<string, unknown>;
  from?: Record<string, unknown>;
  to?: Record<string, unknown>;
}

function parseChanges(details: string): LoggedChange[] {
  try {
    const d = JSON.parse(details) as { changes?: unknown };
    return Array.isArray(d.changes) ? (d.changes as LoggedChange[]) : [];
  } catch {
    return [];
  }
}

/** The membership times a logged change names: a time or null, and absent when it did not change. */
function times(cols: Record<string, unknown> | undefined): Partial<Pick<GroupUsersTable, 'starts_at' | 'expires_at'>> {
  const out: Partial<Pick<GroupUsersTable, 'starts_at' | 'expires_at'>> = {};
  for (const k of ['starts_at', 'expires_at'] as const) {
    const v = cols?.[k];
    if (v === null || typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Puts the membership as `change.after` says (insert, update or delete), without auditing: the request's event carries it. */
async function writeMembership(tx: Tx, change: MembershipChange): Promise<void> {
  const { before, after } = change;
  if (after === null) {
    if (before) await tx.db.deleteFrom('group_users').where('group_id', '=', before.group_id).where('user_id', '=', before.user_id).execute();
  } else if (before === null) {
    await tx.db.insertInto('group_users').values(after).execute();
  } else {
    await tx.db
      .updateTable('group_users')
      .set({ starts_at: after.starts_at, expires_at: after.expires_at })
      .where('group_id', '=', after.group_id)
      .where('user_id', '=', after.user_id)
      .execute();
  }
}

/** A new request, and for a break-glass one the membership it grants at once, with one event. */
export async function insertRequest(tx: Tx, row: RequestsTable, login: string, membership?: MembershipChange): Promise<void> {
  await tx.db.insertInto('requests').values(row).execute();
  if (membership) await writeMembership(tx, membership);
  tx.audit(requestCreated(row, login, membership));
}

/** A request's change of state (and the membership it grants or ends), with one event. */
export async function updateRequest(
  tx: Tx,
  action: Exclude<RequestAction, 'request.create'>,
  before: RequestsTable,
  after: RequestsTable,
  login: string,
  membership?: MembershipChange,
): Promise<void> {
  const { id, ...rest } = after;
  await tx.db.updateTable('requests').set(rest).where('id', '=', id).execute();
  if (membership) await writeMembership(tx, membership);
  tx.audit(requestChanged(action, before, after, login, membership));
}
