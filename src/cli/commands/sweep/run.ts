import { keyStatus } from '../../../domain/key-lifecycle.js';
import { formatTimestamp } from '../../../domain/time.js';
import { keyDeleted, linkRemoved, objectDeleted, tokenSwept, type AuditEntry } from '../../../domain/audit-events.js';
import { groupCascade, groupCascades, takeLink } from '../../../store/cascade.js';
import { expiredLinks, LINKS, type LinkTableName } from '../../../store/links.js';
import { mutate, type Db, type Tx } from '../../../store/mutate.js';
import type { GroupsTable } from '../../../store/tables.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { meta } from '../shared.js';

export interface SweepOptions {
  dryRun?: boolean | undefined;
  grace?: number | undefined;
  keys?: boolean | undefined;
}

/** One thing sweep removed, typed: `what` says which fields apply. */
interface Removal extends OutputRecord {
  what: 'group' | 'membership' | 'assignment' | 'token' | 'key';
  /** The removed object's id (group, token, key); null for a link, which has none. */
  id: string | null;
  name: string | null;
  groupId: string | null;
  serviceId: string | null;
  keyId: string | null;
  memberType: 'user' | 'service' | 'resource' | null;
  memberId: string | null;
  expiredAt: string | null;
}

const removal = (r: Partial<Removal> & Pick<Removal, 'what' | 'expiredAt'>): Removal => ({
  id: null,
  name: null,
  groupId: null,
  serviceId: null,
  keyId: null,
  memberType: null,
  memberId: null,
  ...r,
});

const LINK_ACTION: Record<LinkTableName, { action: string; owner: 'group' | 'service'; member: 'user' | 'service' | 'resource'; what: 'membership' | 'assignment' }> = {
  group_users: { action: 'sweep.membership.delete', owner: 'group', member: 'user', what: 'membership' },
  group_services: { action: 'sweep.membership.delete', owner: 'group', member: 'service', what: 'membership' },
  group_resources: { action: 'sweep.assignment.delete', owner: 'group', member: 'resource', what: 'assignment' },
  service_resources: { action: 'sweep.assignment.delete', owner: 'service', member: 'resource', what: 'assignment' },
};

/**
 * Cleans up what has expired. Access never depends on it (expiry holds at read time); it only
 * keeps the store small. One transaction: two sweeps at once serialise, and the second finds nothing.
 */
export async function runSweep(opts: SweepOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const cutoff = m.now - (opts.grace ?? 0);
  if (opts.dryRun) {
    return { kind: 'sweep', records: (await plan(ctx.store().db, cutoff, Boolean(opts.keys), m.now)).map(visible) };
  }
  const removed = await mutate(ctx.store().db, m, async (tx) => {
    const items = await plan(tx.db, cutoff, Boolean(opts.keys), tx.now);
    for (let i = 0; i < items.length; ) {
      // Expired groups come first: removed a page at a time, their events in the same order.
      const page: GroupsTable[] = [];
      while (i < items.length && items[i]!.group && page.length < GROUP_PAGE) page.push(items[i++]!.group!);
      if (page.length > 0) await removeGroups(tx, page);
      else await apply(tx, items[i++]!);
    }
    return items.map(visible);
  });
  return { kind: 'sweep', records: removed };
}

interface PlannedRemoval {
  record: Removal;
  /** Set for an expired group, which sweep removes in pages (removeGroups). */
  group?: GroupsTable;
  /** Removes the row(s) and returns the audit event that records exactly what was removed. */
  remove: (tx: Tx) => Promise<AuditEntry | null>;
}

function groupRemoval(g: GroupsTable): PlannedRemoval {
  return {
    group: g,
    record: removal({ what: 'group', id: g.id, name: g.name, groupId: g.id, expiredAt: formatTimestamp(g.expires_at) }),
    remove: async (tx) => {
      const cascade = await groupCascade(tx.db, g.id);
      await tx.db.deleteFrom('groups').where('id', '=', g.id).execute();
      return objectDeleted('group', g, cascade, { action: 'sweep.group.delete', cause: 'sweep' });
    },
  };
}

const GROUP_PAGE = 200;

/** Removes expired groups as groupRemoval does one: their links read in one query per table, one DELETE, one event each. */
async function removeGroups(tx: Tx, groups: readonly GroupsTable[]): Promise<void> {
  const ids = groups.map((g) => g.id);
  const cascades = await groupCascades(tx.db, ids);
  await tx.db.deleteFrom('groups').where('id', 'in', ids).execute();
  for (const g of groups) tx.audit(objectDeleted('group', g, cascades.get(g.id)!, { action: 'sweep.group.delete', cause: 'sweep' }));
}

/**
 * Removes one expired group exactly as sweep does, audit event included: `group create` uses it
 * to free the name of an expired group that sweep has not reached yet.
 */
export async function sweepGroup(tx: Tx, g: GroupsTable): Promise<OutputRecord> {
  const item = groupRemoval(g);
  await apply(tx, item);
  return item.record;
}

async function plan(db: Db, cutoff: number, keys: boolean, now: number): Promise<PlannedRemoval[]> {
  const out: PlannedRemoval[] = [];
  const groups = await db
    .selectFrom('groups')
    .selectAll()
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', cutoff)
    .orderBy('expires_at')
    .orderBy('id')
    .execute();
  const goneGroups = new Set(groups.map((g) => g.id));
  for (const g of groups) out.push(groupRemoval(g));
  for (const table of Object.keys(LINKS) as LinkTableName[]) {
    const how = LINK_ACTION[table];
    for (const link of await expiredLinks(db, table, cutoff)) {
      // Links of a group being deleted go with it.
      if (how.owner === 'group' && goneGroups.has(link.owner)) continue;
      out.push({
        record: removal({
          what: how.what,
          groupId: how.owner === 'group' ? link.owner : null,
          serviceId: how.owner === 'service' ? link.owner : null,
          memberType: how.member,
          memberId: link.member,
          expiredAt: formatTimestamp(link.expires_at),
        }),
        remove: async (tx) => {
          const row = await takeLink(tx.db, table, link.owner, link.member);
          // Planned under the write lock: a link still there after its DELETE was kept by the store.
          tx.expect(table, { [LINKS[table].owner]: link.owner, [LINKS[table].member]: link.member }, null);
          return row && linkRemoved(table, row, { action: how.action, cause: 'sweep' });
        },
      });
    }
  }
  const tokens = await db.selectFrom('exchange_tokens').select(['id', 'key_id', 'expires_at']).where('expires_at', '<=', cutoff).orderBy('expires_at').execute();
  for (const t of tokens) {
    out.push({
      record: removal({ what: 'token', id: t.id, keyId: t.key_id, expiredAt: formatTimestamp(t.expires_at) }),
      remove: async (tx) => {
        // Read again inside the transaction: the event records the row actually removed, if any.
        const row = await tx.db.deleteFrom('exchange_tokens').where('id', '=', t.id).returningAll().executeTakeFirst();
        if (!row) return null;
        tx.expect('exchange_tokens', { id: t.id }, null);
        return tokenSwept(row);
      },
    });
  }
  if (keys) {
    // Two range queries, one per partial index, rather than an OR that would scan every key.
    const revoked = await db.selectFrom('service_keys').selectAll().where('revoked_at', 'is not', null).where('revoked_at', '<=', cutoff).execute();
    const expired = await db.selectFrom('service_keys').selectAll().where('expires_at', 'is not', null).where('expires_at', '<=', cutoff).execute();
    const byId = new Map([...revoked, ...expired].map((k) => [k.id, k]));
    const candidates = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const k of candidates) {
      const status = keyStatus({ revokedAt: k.revoked_at, expiresAt: k.expires_at }, now);
      // A key is swept only once it has been dead for the whole grace period.
      const diedAt = status === 'REVOKED' ? k.revoked_at! : k.expires_at!;
      if (status === 'ACTIVE' || diedAt > cutoff) continue;
      out.push({
        record: removal({ what: 'key', id: k.id, name: k.name, serviceId: k.service_id, keyId: k.id, expiredAt: formatTimestamp(diedAt) }),
        remove: async (tx) => {
          await tx.db.deleteFrom('service_keys').where('id', '=', k.id).execute();
          return keyDeleted(k, 'sweep', { status });
        },
      });
    }
  }
  return out;
}

async function apply(tx: Tx, item: PlannedRemoval): Promise<void> {
  const entry = await item.remove(tx);
  if (entry) tx.audit(entry);
}

const visible = (item: PlannedRemoval): Removal => item.record;
