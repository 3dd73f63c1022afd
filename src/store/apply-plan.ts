import type { Plan } from '../domain/access-code/plan.js';
import { keyDeleted, linkPut, linkRemoved, objectCreated, objectDeleted, objectUpdated, settingSet, type EventOptions, type LinkTable as LinkTableName } from '../domain/audit-events.js';
import type { State } from '../domain/state.js';
import { insertMany } from './insert-many.js';
import { deleteLink, hasStart, linkRow, LINKS, putLink } from './links.js';
import type { Tx } from './mutate.js';
import { readSettings, writeSetting } from './settings.js';
import type { Database, LinkTable } from './tables.js';

type ObjectKind = 'user' | 'resource' | 'group' | 'service';
type AnyLink = LinkTable & Record<string, string>;
const TABLE = { user: 'users', resource: 'resources', group: 'groups', service: 'services' } as const;
const LINK_STATE: Record<LinkTableName, keyof State> = {
  group_users: 'groupUsers',
  group_resources: 'groupResources',
  group_services: 'groupServices',
  service_resources: 'serviceResources',
};
const LINK_TABLES = Object.keys(LINKS) as LinkTableName[];
const links = (s: State, table: LinkTableName) => s[LINK_STATE[table]] as unknown as Map<string, AnyLink>;
const rows = (s: State, kind: ObjectKind) => s[TABLE[kind]] as unknown as Map<string, Record<string, unknown> & { id: string }>;

/**
 * Writes a plan inside the caller's transaction: the difference between what grants now
 * (`plan.current`) and what should (`plan.planned`). Rows that exist but have expired
 * (`plan.raw`) are re-timed in place, or go with the object they belong to. Every change is one
 * audit event built by domain/audit-events.ts, with cause `apply` and the file's SHA-256.
 * Returns the number of events.
 */
export async function applyPlan(tx: Tx, plan: Plan, fileSha256: string): Promise<number> {
  const { raw, current, planned } = plan;
  const opts: EventOptions = { cause: 'apply', extra: { fileSha256 } };
  let written = 0;
  const audit = (e: Parameters<Tx['audit']>[0]) => {
    tx.audit(e);
    written++;
  };
  // Physical link rows still present: what a delete will take with it by cascade.
  // raw's own maps until the first delete from one copies it: a plan that deletes nothing copies no million links.
  const copies = new Map<LinkTableName, Map<string, AnyLink>>();
  const present = (t: LinkTableName) => copies.get(t) ?? links(raw, t);
  const gone = (t: LinkTableName, k: string) => {
    let m = copies.get(t);
    if (!m) copies.set(t, (m = new Map(links(raw, t))));
    m.delete(k);
  };
  const cascadeOf = (column: string, id: string) => {
    const out: Array<{ table: LinkTableName; row: AnyLink }> = [];
    for (const t of LINK_TABLES) {
      for (const [k, l] of present(t)) {
        if (l[column] !== id) continue;
        out.push({ table: t, row: l });
        gone(t, k);
      }
    }
    return out;
  };

  for (const g of plan.sweep) {
    const cascade = cascadeOf('group_id', g.id);
    await tx.db.deleteFrom('groups').where('id', '=', g.id).execute();
    audit(objectDeleted('group', g, cascade, { action: 'sweep.group.delete', cause: 'sweep', extra: { fileSha256 } }));
  }

  // Links that go, before the objects that go with them.
  for (const table of LINK_TABLES) {
    const { owner: o, member: m } = LINKS[table];
    const after = links(planned, table);
    for (const [k, l] of links(current, table)) {
      if (after.has(k)) continue;
      await deleteLink(tx.db, table, l[o]!, l[m]!);
      gone(table, k);
      audit(linkRemoved(table, l, opts));
    }
  }

  for (const kind of ['group', 'service', 'user', 'resource'] as const) {
    const after = rows(planned, kind);
    for (const [id, row] of rows(current, kind)) {
      if (after.has(id)) continue;
      if (kind === 'service') {
        // A service's keys go with it, each with its own key.* event, before the service's.
        for (const key of raw.keys.values()) if (key.service_id === id) audit(keyDeleted(key, 'service.delete', { fileSha256 }));
      }
      const cascade = cascadeOf(`${kind}_id`, id);
      await tx.db.deleteFrom(TABLE[kind]).where('id', '=', id).execute();
      audit(objectDeleted(kind, row, cascade, opts));
    }
  }

  const swept = new Set(plan.sweep.map((g) => g.id));
  for (const kind of ['user', 'resource', 'service', 'group'] as const) {
    const existing = rows(raw, kind);
    const created: Array<Record<string, unknown> & { id: string }> = [];
    for (const [id, row] of rows(planned, kind)) {
      const old = existing.get(id);
      if (!old || swept.has(id)) {
        created.push(row);
        continue;
      }
      // The plan leaves an unchanged row as the same object: nothing to compare.
      if (old === row) continue;
      const e = objectUpdated(kind, old, row, { ...opts, action: toggleAction(kind, old, row) });
      if ((e.details as { changes: unknown[] }).changes.length === 0) continue;
      const { id: _id, created_at: _c, ...set } = row;
      await tx.db.updateTable(TABLE[kind]).set(set as never).where('id', '=', id).execute();
      audit(e);
    }
    await insertMany<Database, keyof Database & string>(tx.db, TABLE[kind], created);
    for (const row of created) audit(objectCreated(kind, row, [], opts));
    await tx.flushAudit();
  }

  for (const table of LINK_TABLES) {
    const { owner: o, member: m } = LINKS[table];
    const physical = present(table);
    const inserts: AnyLink[] = [];
    for (const [k, l] of links(planned, table)) {
      const had = physical.get(k);
      const startsAt = hasStart(table) ? ((l as { starts_at?: number | null }).starts_at ?? null) : null;
      if (had && had.expires_at === l.expires_at && (!hasStart(table) || ((had as { starts_at?: number | null }).starts_at ?? null) === startsAt)) continue;
      const row = linkRow(table, l[o]!, l[m]!, { startsAt, expiresAt: l.expires_at }, had?.created_at ?? l.created_at) as AnyLink;
      if (had) await putLink(tx.db, table, l[o]!, l[m]!, l.expires_at, tx.now, true, startsAt);
      else inserts.push(row);
      audit(linkPut(table, row, had ?? null, opts));
    }
    await insertMany<Database, keyof Database & string>(tx.db, table, inserts);
    await tx.flushAudit();
  }

  const stored = await readSettings(tx.db);
  for (const [key, value] of planned.settings) {
    const before = stored.get(key);
    if (before?.value === value) continue;
    await writeSetting(tx.db, key, value, tx.now);
    audit(settingSet(before ? { key, value: before.value, updated_at: before.updatedAt } : null, { key, value, updated_at: tx.now }, opts));
  }
  return written;
}

/** A change of state alone is an enable/disable, as the imperative commands record it. */
function toggleAction(kind: ObjectKind, before: Record<string, unknown>, after: Record<string, unknown>): string {
  const col = kind === 'resource' ? 'is_active' : kind === 'group' ? null : 'state';
  if (col === null || before[col] === after[col]) return `${kind}.update`;
  const others = Object.keys(after).some((c) => c !== col && c !== 'updated_at' && before[c] !== after[c]);
  if (others) return `${kind}.update`;
  const on = after[col] === 'ACTIVE' || after[col] === 1;
  return `${kind}.${on ? 'enable' : 'disable'}`;
}
