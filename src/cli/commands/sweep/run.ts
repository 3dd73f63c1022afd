import { keyStatus } from '../../../domain/key-lifecycle.js';
import { formatTimestamp } from '../../../domain/time.js';
import { expiredLinks, deleteLink, LINKS, type LinkTableName } from '../../../store/links.js';
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
    for (const item of items) await apply(tx, item);
    return items.map(visible);
  });
  return { kind: 'sweep', records: removed };
}

interface PlannedRemoval {
  record: Removal;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  remove: (tx: Tx) => Promise<void>;
}

type ExpiredGroup = Pick<GroupsTable, 'id' | 'name' | 'expires_at'>;

function groupRemoval(g: ExpiredGroup): PlannedRemoval {
  return {
    record: removal({ what: 'group', id: g.id, name: g.name, groupId: g.id, expiredAt: formatTimestamp(g.expires_at) }),
    action: 'sweep.group.delete',
    targetType: 'group',
    targetId: g.id,
    details: { name: g.name, expiresAt: formatTimestamp(g.expires_at) },
    remove: async (tx) => {
      await tx.db.deleteFrom('groups').where('id', '=', g.id).execute();
    },
  };
}

/**
 * Removes one expired group exactly as sweep does, audit event included: `group create` uses it
 * to free the name of an expired group that sweep has not reached yet.
 */
export async function sweepGroup(tx: Tx, g: ExpiredGroup): Promise<OutputRecord> {
  const item = groupRemoval(g);
  await apply(tx, item);
  return item.record;
}

async function plan(db: Db, cutoff: number, keys: boolean, now: number): Promise<PlannedRemoval[]> {
  const out: PlannedRemoval[] = [];
  const groups = await db
    .selectFrom('groups')
    .select(['id', 'name', 'expires_at'])
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
        action: how.action,
        targetType: how.owner,
        targetId: link.owner,
        details: { [`${how.member}Id`]: link.member, expiresAt: formatTimestamp(link.expires_at) },
        remove: async (tx) => {
          await deleteLink(tx.db, table, link.owner, link.member);
        },
      });
    }
  }
  const tokens = await db.selectFrom('exchange_tokens').select(['id', 'key_id', 'expires_at']).where('expires_at', '<=', cutoff).orderBy('expires_at').execute();
  for (const t of tokens) {
    out.push({
      record: removal({ what: 'token', id: t.id, keyId: t.key_id, expiredAt: formatTimestamp(t.expires_at) }),
      action: 'sweep.token.delete',
      targetType: 'token',
      targetId: t.id,
      details: { keyId: t.key_id, expiresAt: formatTimestamp(t.expires_at) },
      remove: async (tx) => {
        await tx.db.deleteFrom('exchange_tokens').where('id', '=', t.id).execute();
      },
    });
  }
  if (keys) {
    // Two range queries, one per partial index, rather than an OR that would scan every key.
    const columns = ['id', 'name', 'service_id', 'expires_at', 'revoked_at'] as const;
    const revoked = await db.selectFrom('service_keys').select(columns).where('revoked_at', 'is not', null).where('revoked_at', '<=', cutoff).execute();
    const expired = await db.selectFrom('service_keys').select(columns).where('expires_at', 'is not', null).where('expires_at', '<=', cutoff).execute();
    const byId = new Map([...revoked, ...expired].map((k) => [k.id, k]));
    const candidates = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const k of candidates) {
      const status = keyStatus({ revokedAt: k.revoked_at, expiresAt: k.expires_at }, now);
      // A key is swept only once it has been dead for the whole grace period.
      const diedAt = status === 'REVOKED' ? k.revoked_at! : k.expires_at!;
      if (status === 'ACTIVE' || diedAt > cutoff) continue;
      out.push({
        record: removal({ what: 'key', id: k.id, name: k.name, serviceId: k.service_id, keyId: k.id, expiredAt: formatTimestamp(diedAt) }),
        action: 'sweep.key.delete',
        targetType: 'key',
        targetId: k.id,
        details: { serviceId: k.service_id, name: k.name, status },
        remove: async (tx) => {
          await tx.db.deleteFrom('service_keys').where('id', '=', k.id).execute();
        },
      });
    }
  }
  return out;
}

async function apply(tx: Tx, item: PlannedRemoval): Promise<void> {
  await item.remove(tx);
  tx.audit({ action: item.action, targetType: item.targetType, targetId: item.targetId, details: item.details });
}

const visible = (item: PlannedRemoval): Removal => item.record;
