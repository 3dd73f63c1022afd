import { ConflictError, UsageError } from '../../../domain/errors.js';
import { expiryAfter, formatTimestamp } from '../../../domain/time.js';
import { nameKey, validateName } from '../../../domain/validate.js';
import { findGroup, getGroup, groupPages, type GroupFilter } from '../../../store/groups.js';
import { linkRow, liveLinksOf, putLink, type LinkTableName } from '../../../store/links.js';
import { objectCreated, objectDeleted, objectUpdated } from '../../../domain/audit-events.js';
import { groupCascade } from '../../../store/cascade.js';
import { mutate, mutateAndRead, type Db } from '../../../store/mutate.js';
import { getResource } from '../../../store/resources.js';
import { getService } from '../../../store/services.js';
import type { GroupsTable } from '../../../store/tables.js';
import { getUser } from '../../../store/users.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { expiryFrom } from '../../options.js';
import { meta, orSkip, showMany } from '../shared.js';
import { sweepGroup } from '../sweep/run.js';
import { addLinks, assertUnexpired, removeLinks } from './link-edits.js';
import { assertNotApprovers, checkPolicyFlags, describedPolicies, nextPolicy, touchesPolicy, type PolicyFlags } from './request-policy.js';
import { withLinks } from './show-records.js';

export type MemberKind = 'users' | 'resources' | 'services';
const TABLE: Record<MemberKind, LinkTableName> = { users: 'group_users', resources: 'group_resources', services: 'group_services' };
const SINGULAR: Record<MemberKind, string> = { users: 'user', resources: 'resource', services: 'service' };

/** Resolves references to ids, each once, in the order given. */
export async function resolveMembers(db: Db, kind: MemberKind, refs: readonly string[]): Promise<string[]> {
  const get = kind === 'users' ? getUser : kind === 'resources' ? getResource : getService;
  const ids: string[] = [];
  for (const ref of refs) {
    const row = await get(db, ref);
    if (!ids.includes(row.id)) ids.push(row.id);
  }
  return ids;
}

interface GroupLinks {
  users: string[];
  resources: string[];
  services: string[];
}

export function groupRecord(row: GroupsTable, links: GroupLinks, requestPolicy: Record<string, unknown> | null = null): OutputRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    isActive: row.is_active === 1,
    expiresAt: formatTimestamp(row.expires_at),
    users: links.users,
    resources: links.resources,
    services: links.services,
    requestPolicy,
    createdAt: formatTimestamp(row.created_at),
    updatedAt: formatTimestamp(row.updated_at),
  };
}

async function linksFor(db: Db, ids: readonly string[], now: number): Promise<(id: string) => GroupLinks> {
  const [users, resources, services] = await Promise.all([
    liveLinksOf(db, 'group_users', ids, now),
    liveLinksOf(db, 'group_resources', ids, now),
    liveLinksOf(db, 'group_services', ids, now),
  ]);
  return (id) => ({ users: users.get(id) ?? [], resources: resources.get(id) ?? [], services: services.get(id) ?? [] });
}

export async function groupRecords(db: Db, rows: readonly GroupsTable[], now: number): Promise<OutputRecord[]> {
  const links = await linksFor(
    db,
    rows.map((r) => r.id),
    now,
  );
  const policy = await describedPolicies(db, rows);
  return rows.map((r) => groupRecord(r, links(r.id), policy(r)));
}

export interface GroupCreateOptions {
  name: string;
  users?: string[] | undefined;
  resources?: string[] | undefined;
  services?: string[] | undefined;
  ttl?: number | undefined;
  expiresAt?: number | undefined;
  /** An unexpired group of this name is printed as it is, unchanged, exit 0. */
  ifNotExists?: boolean | undefined;
}

/**
 * Creates a group. A name held by an expired group (not yet swept) is free: that group is removed
 * first, exactly as sweep would remove it, in the same transaction.
 */
export async function runGroupCreate(opts: GroupCreateOptions, ctx: Ctx): Promise<Output> {
  const name = validateName('group', opts.name);
  const m = meta(ctx);
  const expiresAt = expiryFrom(opts, m.now);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const existing = await findGroup(tx.db, name);
    if (existing && existing.expires_at !== null && existing.expires_at <= tx.now) await sweepGroup(tx, existing);
    else if (existing && opts.ifNotExists) {
      ctx.note(`note: group ${existing.name} already exists; nothing changed`);
      return existing;
    }
    else if (existing) throw new ConflictError(`a group named ${JSON.stringify(name)} already exists`, 'names are unique, case-insensitively; --if-not-exists prints it instead');
    const members = {
      users: await resolveMembers(tx.db, 'users', opts.users ?? []),
      resources: await resolveMembers(tx.db, 'resources', opts.resources ?? []),
      services: await resolveMembers(tx.db, 'services', opts.services ?? []),
    };
    const group: GroupsTable = {
      id: tx.ids.id('group'),
      name,
      name_key: nameKey(name),
      type: 'MANUAL',
      is_active: 1,
      expires_at: expiresAt,
      request_policy: null,
      created_at: tx.now,
      updated_at: tx.now,
    };
    await tx.db.insertInto('groups').values(group).execute();
    const links: Array<{ table: LinkTableName; row: Record<string, string | number | null> }> = [];
    for (const kind of ['users', 'resources', 'services'] as const) {
      for (const id of members[kind]) {
        await putLink(tx.db, TABLE[kind], group.id, id, null, tx.now, false);
        links.push({ table: TABLE[kind], row: linkRow(TABLE[kind], group.id, id, { startsAt: null, expiresAt: null }, tx.now) });
      }
    }
    tx.audit(objectCreated('group', group, links));
    return group;
  }, async (r, db) => withLinks(db, await groupRecords(db, [r], m.now), m.now));
  return { kind: 'groupShow', records };
}

export interface GroupListOptions {
  expired?: boolean | undefined;
  ephemeral?: boolean | undefined;
  user?: string | undefined;
  service?: string | undefined;
  resource?: string | undefined;
  search?: string | undefined;
  expiringWithin?: number | undefined;
}

export async function runGroupList(opts: GroupListOptions, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const filter: GroupFilter = {
    expired: opts.expired,
    ephemeral: opts.ephemeral,
    userId: opts.user === undefined ? undefined : (await getUser(db, opts.user)).id,
    serviceId: opts.service === undefined ? undefined : (await getService(db, opts.service)).id,
    resourceId: opts.resource === undefined ? undefined : (await getResource(db, opts.resource)).id,
    search: opts.search,
    expiringWithin: opts.expiringWithin,
  };
  async function* records() {
    for await (const page of groupPages(db, filter, now)) yield* await groupRecords(db, page, now);
  }
  return { kind: 'group', records: records() };
}

export async function runGroupShow(refs: string[], ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  const shown = await showMany(ctx, 'group', refs, async (ref) => {
    const row = await findGroup(db, ref);
    return row ? (await withLinks(db, await groupRecords(db, [row], now), now))[0] : undefined;
  });
  return { ...shown, kind: 'groupShow' };
}

export interface GroupUpdateOptions extends PolicyFlags {
  ref: string;
  name?: string | undefined;
  ttl?: number | undefined;
  expiresAt?: number | undefined;
  permanent?: boolean | undefined;
  active?: boolean | undefined;
}

export async function runGroupUpdate(opts: GroupUpdateOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const patch: Partial<GroupsTable> = {};
  if (opts.name !== undefined) {
    patch.name = validateName('group', opts.name);
    patch.name_key = nameKey(patch.name);
  }
  if (opts.permanent) {
    if (opts.ttl !== undefined || opts.expiresAt !== undefined) throw new UsageError('--permanent cannot be combined with --ttl or --expires-at');
    patch.expires_at = null;
  } else if (opts.ttl !== undefined || opts.expiresAt !== undefined) {
    patch.expires_at = expiryFrom(opts, m.now);
  }
  if (opts.active !== undefined) patch.is_active = opts.active ? 1 : 0;
  checkPolicyFlags(opts);
  if (Object.keys(patch).length === 0 && !touchesPolicy(opts)) {
    throw new UsageError('nothing to update', 'pass --name, --ttl, --expires-at, --permanent, --active, --inactive, --requestable or --not-requestable');
  }
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const group = await getGroup(tx.db, opts.ref);
    if (patch.name_key && patch.name_key !== group.name_key && (await findGroup(tx.db, patch.name!))) {
      throw new ConflictError(`a group named ${JSON.stringify(patch.name)} already exists`);
    }
    const policy = await nextPolicy(tx.db, group, opts);
    if (policy !== undefined) patch.request_policy = policy;
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (policy !== undefined && policy !== group.request_policy) changes.requestPolicy = { from: group.request_policy, to: policy };
    if (patch.name !== undefined && patch.name !== group.name) changes.name = { from: group.name, to: patch.name };
    if ('expires_at' in patch && patch.expires_at !== group.expires_at) {
      changes.expiresAt = { from: formatTimestamp(group.expires_at), to: formatTimestamp(patch.expires_at) };
    }
    if (patch.is_active !== undefined && patch.is_active !== group.is_active) changes.isActive = { from: group.is_active === 1, to: patch.is_active === 1 };
    if (Object.keys(changes).length === 0) return group;
    await tx.db.updateTable('groups').set({ ...patch, updated_at: tx.now }).where('id', '=', group.id).execute();
    tx.expect('groups', { id: group.id }, { ...group, ...patch, updated_at: tx.now });
    tx.audit(objectUpdated('group', group, { ...group, ...patch, updated_at: tx.now }));
    return { ...group, ...patch, updated_at: tx.now };
  }, async (r, db) => withLinks(db, await groupRecords(db, [r], m.now), m.now));
  return { kind: 'groupShow', records };
}

export interface GroupLinkOptions {
  ref: string;
  kind: MemberKind;
  members: string[];
  ttl?: number | undefined;
}

export async function runGroupAdd(opts: GroupLinkOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const expiresAt = opts.ttl === undefined ? null : expiryAfter(m.now, opts.ttl);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const g = await getGroup(tx.db, opts.ref);
    assertUnexpired(g, tx.now, 'group');
    await addLinks(tx, TABLE[opts.kind], 'group', g.id, SINGULAR[opts.kind], await resolveMembers(tx.db, opts.kind, opts.members), expiresAt);
    return g;
  }, async (r, db) => withLinks(db, await groupRecords(db, [r], m.now), m.now));
  return { kind: 'groupShow', records };
}

export async function runGroupRemove(opts: GroupLinkOptions, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const g = await getGroup(tx.db, opts.ref);
    await removeLinks(tx, TABLE[opts.kind], 'group', g.id, SINGULAR[opts.kind], await resolveMembers(tx.db, opts.kind, opts.members), (s) => ctx.note(s));
    return g;
  }, async (r, db) => withLinks(db, await groupRecords(db, [r], m.now), m.now));
  return { kind: 'groupShow', records };
}

export async function runGroupDelete(refs: string[], ctx: Ctx, ignoreNotFound = false): Promise<Output> {
  const m = meta(ctx);
  const deleted = await mutate(ctx.store().db, m, async (tx) => {
    const out: OutputRecord[] = [];
    const seen = new Set<string>();
    const found: GroupsTable[] = [];
    for (const ref of refs) {
      const g = await orSkip(ctx, ignoreNotFound, () => getGroup(tx.db, ref));
      if (!g || seen.has(g.id)) continue;
      seen.add(g.id);
      found.push(g);
    }
    // Approvers go only with the groups they approve for, or after those stop naming them.
    for (const g of found) await assertNotApprovers(tx.db, g, seen);
    for (const g of found) {
      const [record] = await groupRecords(tx.db, [g], tx.now);
      const cascade = await groupCascade(tx.db, g.id);
      await tx.db.deleteFrom('groups').where('id', '=', g.id).execute();
      tx.audit(objectDeleted('group', g, cascade));
      out.push(record!);
    }
    return out;
  });
  return { kind: 'group', records: deleted };
}
