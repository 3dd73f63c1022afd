import * as events from '../domain/access-code/audit-events.js';
import type { Plan } from '../domain/access-code/plan.js';
import type { State } from '../domain/state.js';
import { insertMany } from './insert-many.js';
import { deleteLink, LINKS, putLink, type LinkTableName } from './links.js';
import type { Tx } from './mutate.js';
import { writeSetting } from './settings.js';
import type { Database, LinkTable } from './tables.js';

type Kind = events.ObjectKind;
const TABLE = { user: 'users', resource: 'resources', group: 'groups', service: 'services' } as const;
const STATE_KEY = { user: 'users', resource: 'resources', group: 'groups', service: 'services' } as const;
const LINK_STATE: Record<LinkTableName, keyof State> = {
  group_users: 'groupUsers',
  group_resources: 'groupResources',
  group_services: 'groupServices',
  service_resources: 'serviceResources',
};
const LINK_KINDS: Record<LinkTableName, { owner: 'group' | 'service'; member: events.LinkKind }> = {
  group_users: { owner: 'group', member: 'user' },
  group_resources: { owner: 'group', member: 'resource' },
  group_services: { owner: 'group', member: 'service' },
  service_resources: { owner: 'service', member: 'resource' },
};

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Writes a plan inside the caller's transaction: the difference between what grants now
 * (`plan.current`) and what should (`plan.planned`), each change audited. Rows that exist but
 * have expired (`plan.raw`) are re-timed in place rather than inserted twice.
 */
export async function applyPlan(tx: Tx, plan: Plan, fileSha256: string): Promise<number> {
  const { raw, current, planned } = plan;
  let written = 0;
  const audit = (e: events.AuditEvent) => {
    tx.audit(e);
    written++;
  };

  for (const g of plan.sweep) {
    await tx.db.deleteFrom('groups').where('id', '=', g.id).execute();
    audit(events.sweepGroupEvent(g, fileSha256));
  }

  // Links that go, before the objects that go with them.
  for (const table of Object.keys(LINKS) as LinkTableName[]) {
    const { owner: o, member: m } = LINKS[table];
    const before = current[LINK_STATE[table]] as unknown as Map<string, LinkTable & Record<string, string>>;
    const after = planned[LINK_STATE[table]] as unknown as Map<string, LinkTable & Record<string, string>>;
    for (const [k, l] of before) {
      if (after.has(k)) continue;
      await deleteLink(tx.db, table, l[o]!, l[m]!);
      audit(events.removeLinkEvent(LINK_KINDS[table].owner, l[o]!, LINK_KINDS[table].member, l[m]!, l.expires_at, fileSha256));
    }
  }

  for (const kind of ['group', 'service', 'user', 'resource'] as const) {
    const before = current[STATE_KEY[kind]] as Map<string, { id: string }>;
    const after = planned[STATE_KEY[kind]] as Map<string, { id: string }>;
    for (const [id, row] of before) {
      if (after.has(id)) continue;
      await tx.db.deleteFrom(TABLE[kind]).where('id', '=', id).execute();
      audit(events.deleteEvent(kind, row as never, fileSha256));
    }
  }

  for (const kind of ['user', 'resource', 'service', 'group'] as const) {
    const existing = raw[STATE_KEY[kind]] as unknown as Map<string, Record<string, unknown>>;
    const after = planned[STATE_KEY[kind]] as unknown as Map<string, Record<string, unknown> & { id: string }>;
    const created: Array<Record<string, unknown> & { id: string }> = [];
    for (const [id, row] of after) {
      const old = existing.get(id);
      if (!old || plan.sweep.some((g) => g.id === id)) {
        created.push(row);
        continue;
      }
      const changes = columnChanges(old, row);
      if (Object.keys(changes).length === 0) continue;
      const { id: _id, created_at: _c, ...set } = row;
      await tx.db.updateTable(TABLE[kind]).set(set as never).where('id', '=', id).execute();
      audit(events.updateEvent(kind, id, changes, fileSha256));
    }
    await insertMany<Database, keyof Database & string>(tx.db, TABLE[kind], created);
    for (const row of created) audit(events.createEvent(kind as Kind, row as never, fileSha256));
    await tx.flushAudit();
  }

  for (const table of Object.keys(LINKS) as LinkTableName[]) {
    const { owner: o, member: m } = LINKS[table];
    const physical = raw[LINK_STATE[table]] as unknown as Map<string, LinkTable & Record<string, string>>;
    const after = planned[LINK_STATE[table]] as unknown as Map<string, LinkTable & Record<string, string>>;
    const inserts: Array<Record<string, unknown>> = [];
    for (const [k, l] of after) {
      // A row that was swept above with its group is no longer physically there.
      const had = physical.get(k);
      const hadRow = had !== undefined && !plan.sweep.some((g) => g.id === had[o]);
      if (hadRow && had.expires_at === l.expires_at) continue;
      if (hadRow) await putLink(tx.db, table, l[o]!, l[m]!, l.expires_at, tx.now, true);
      else inserts.push({ [o]: l[o], [m]: l[m], expires_at: l.expires_at, created_at: l.created_at });
      audit(events.addLinkEvent(LINK_KINDS[table].owner, l[o]!, LINK_KINDS[table].member, l[m]!, l.expires_at, hadRow ? had.expires_at : undefined, fileSha256));
    }
    await insertMany<Database, keyof Database & string>(tx.db, table, inserts);
    await tx.flushAudit();
  }

  for (const [key, value] of planned.settings) {
    const before = raw.settings.get(key);
    if (before === value) continue;
    const from = plan.changes.find((c) => c.type === 'setting' && c.name === key)?.fields[0]?.from;
    await writeSetting(tx.db, key, value, tx.now);
    audit(events.settingEvent(key, String(from ?? before ?? ''), value, fileSha256));
  }
  return written;
}

function columnChanges(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(after)) {
    if (k.endsWith('_key') || k === 'updated_at' || k === 'created_at') continue;
    if (before[k] !== v) out[camel(k)] = { from: before[k], to: v };
  }
  return out;
}
