import { ConflictError, UsageError } from '../../../domain/errors.js';
import { buildPolicy, describePolicy, parsePolicy, serializePolicy, type PolicyInput } from '../../../domain/request-policy.js';
import { getGroup } from '../../../store/groups.js';
import { chunks, type Db } from '../../../store/mutate.js';
import type { GroupsTable } from '../../../store/tables.js';

/** `group update`'s request-policy flags (SPEC section 15), as commander gives them. */
export interface PolicyFlags {
  requestable?: boolean | undefined;
  notRequestable?: boolean | undefined;
  approvers?: string | undefined;
  maxDuration?: string | undefined;
  approvals?: string | undefined;
  pendingTtl?: string | undefined;
  requireReason?: boolean | undefined;
  breakGlass?: boolean | undefined;
}

const FLAG: Record<keyof PolicyInput | 'approvers', string> = {
  approvers: '--approvers',
  maxDuration: '--max-duration',
  approvals: '--approvals',
  pendingTtl: '--pending-ttl',
  requireReason: '--require-reason',
  breakGlass: '--break-glass',
};

/** Whether any flag touches the policy. */
export function touchesPolicy(f: PolicyFlags): boolean {
  return f.requestable !== undefined || f.notRequestable !== undefined || policyFieldsGiven(f).length > 0;
}

function policyFieldsGiven(f: PolicyFlags): string[] {
  return (Object.keys(FLAG) as Array<keyof typeof FLAG>).filter((k) => f[k] !== undefined).map((k) => FLAG[k]);
}

/** What needs no store: flags that contradict each other. */
export function checkPolicyFlags(f: PolicyFlags): void {
  const fields = policyFieldsGiven(f);
  if (f.requestable && f.notRequestable) throw new UsageError('--requestable and --not-requestable contradict each other', 'pass one');
  if (f.notRequestable && fields.length > 0) throw new UsageError(`--not-requestable takes no policy options (got ${fields.join(', ')})`, 'it removes the whole policy');
}

/**
 * The group's new request_policy text (null: not requestable), or undefined when the flags leave
 * it alone. On a group with no policy the options need --requestable (and --approvers); on a
 * requestable one they change just the fields they name.
 */
export async function nextPolicy(db: Db, group: GroupsTable, f: PolicyFlags): Promise<string | null | undefined> {
  if (!touchesPolicy(f)) return undefined;
  if (f.notRequestable) return null;
  const base = parsePolicy(group.request_policy);
  if (!base && !f.requestable) {
    throw new UsageError(`group ${group.name} is not requestable, so ${policyFieldsGiven(f).join(', ')} has nothing to change`, `make it requestable: accessctl group update ${group.name} --requestable --approvers GROUP`);
  }
  let approvers = base?.approvers;
  if (f.approvers !== undefined) {
    if (f.approvers.trim() === '') throw new UsageError('--approvers is empty', 'name the group whose members approve');
    const g = await getGroup(db, f.approvers);
    if (g.id === group.id) throw new UsageError(`group ${group.name} cannot approve requests for itself`, 'name another group with --approvers; its members approve');
    approvers = g.id;
  }
  if (approvers === undefined) throw new UsageError('--requestable needs --approvers GROUP', 'the group whose members approve requests');
  const input: PolicyInput = { maxDuration: f.maxDuration, approvals: f.approvals, pendingTtl: f.pendingTtl, requireReason: f.requireReason, breakGlass: f.breakGlass };
  const flag = (field: string) => FLAG[field as keyof typeof FLAG] ?? field;
  return serializePolicy(buildPolicy(approvers, input, base, flag));
}

/** The groups whose request policy names `approversId`, by name: what deleting it would strand. */
export async function groupsApprovedBy(db: Db, approversId: string): Promise<GroupsTable[]> {
  const rows = await db.selectFrom('groups').selectAll().where('request_policy', 'is not', null).orderBy('name_key').execute();
  return rows.filter((g) => g.id !== approversId && parsePolicy(g.request_policy)?.approvers === approversId);
}

/** Refuses to delete a group that approves another's requests: the request flow would have no approvers. */
export async function assertNotApprovers(db: Db, group: GroupsTable, deleting: ReadonlySet<string>): Promise<void> {
  const dependents = (await groupsApprovedBy(db, group.id)).filter((g) => !deleting.has(g.id));
  if (dependents.length === 0) return;
  const first = dependents[0]!;
  throw new ConflictError(
    `group ${group.name} approves the requests of group ${dependents.map((g) => g.name).join(', ')}`,
    `name other approvers first (accessctl group update ${first.name} --approvers GROUP) or make it not requestable (accessctl group update ${first.name} --not-requestable)`,
  );
}

/** Each group's policy as people read it (approvers by name), or null: one query for a page of groups. */
export async function describedPolicies(db: Db, rows: readonly GroupsTable[]): Promise<(g: GroupsTable) => Record<string, string | number | boolean> | null> {
  const ids = [...new Set(rows.map((g) => parsePolicy(g.request_policy)?.approvers).filter((x): x is string => x !== undefined))];
  const names = new Map<string, string>();
  for (const part of chunks(ids)) {
    for (const r of await db.selectFrom('groups').select(['id', 'name']).where('id', 'in', part).execute()) names.set(r.id, r.name);
  }
  return (g) => {
    const p = parsePolicy(g.request_policy);
    return p ? describePolicy(p, names.get(p.approvers) ?? p.approvers) : null;
  };
}
