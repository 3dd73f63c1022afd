import { describePolicy, parsePolicy, serializePolicy } from '../request-policy.js';
import type { State } from '../state.js';
import { nameKey } from '../validate.js';
import type { GroupsTable } from '../rows.js';
import { FileProblem, type AccessFile } from './model.js';
import type { FieldChange } from './plan.js';

/**
 * The request policies of the declared groups (SPEC section 15), once every group of the plan
 * exists: a policy names its approvers group by id, and that group may be one the file creates.
 * A declared group without `request:` is not requestable. Each change is one `request` field,
 * shown as `group show` shows a policy.
 */
export function planRequestPolicies(
  file: AccessFile,
  current: State,
  planned: State,
  groups: Map<string, GroupsTable>,
  deadGroups: ReadonlySet<string>,
  fieldsOf: (group: GroupsTable, op: '+' | '~') => FieldChange[],
  now: number,
): void {
  for (const d of file.groups) {
    const key = nameKey(d.name);
    if (deadGroups.has(key)) continue;
    const row = groups.get(key);
    if (!row) continue;
    let text: string | null = null;
    if (d.request !== null) {
      const approvers = deadGroups.has(nameKey(d.request.approvers)) ? undefined : groups.get(nameKey(d.request.approvers));
      if (!approvers) {
        throw new FileProblem([...d.request.path, 'approvers'], `unknown group ${JSON.stringify(d.request.approvers)}`, 'declare it under groups: or create it first');
      }
      if (approvers.id === row.id) throw new FileProblem([...d.request.path, 'approvers'], `group ${d.name} cannot approve requests for itself`, 'name another group, whose members approve');
      text = serializePolicy({ ...d.request.policy, approvers: approvers.id });
    }
    const before = planned.groups.get(row.id)!;
    if ((before.request_policy ?? null) === text) continue;
    const next = { ...before, request_policy: text, updated_at: now };
    planned.groups.set(row.id, next);
    groups.set(key, next);
    fieldsOf(next, current.groups.has(row.id) ? '~' : '+').push({ field: 'request', from: shownPolicy(planned, before.request_policy), to: shownPolicy(planned, text) });
  }
  // A group the file leaves alone may name approvers that --prune deletes: refused, not dangling.
  for (const g of planned.groups.values()) {
    const p = parsePolicy(g.request_policy);
    if (p && !planned.groups.has(p.approvers) && current.groups.has(p.approvers)) {
      throw new FileProblem(['groups'], `group ${g.name} takes requests approved by a group this plan deletes`, `declare that group, or declare ${g.name} with another request.approvers (or none)`);
    }
  }
}

/** A stored policy as people read it, or null (not requestable). */
export function shownPolicy(state: State, text: string | null): Record<string, string | number | boolean> | null {
  const p = parsePolicy(text);
  if (!p) return null;
  return describePolicy(p, state.groups.get(p.approvers)?.name ?? p.approvers);
}
