import { ConflictError, UsageError } from '../../../domain/errors.js';
import { expiryAfter, formatTimestamp } from '../../../domain/time.js';
import { nameKey, validateOptionalText, validateServiceName } from '../../../domain/validate.js';
import { getGroup } from '../../../store/groups.js';
import { keysOfService } from '../../../store/keys.js';
import { liveLinksOf } from '../../../store/links.js';
import { keyDeleted, objectCreated, objectDeleted, objectUpdated, tokenDroppedWithService } from '../../../domain/audit-events.js';
import { serviceCascade } from '../../../store/cascade.js';
import { chunks, mutate, mutateAndRead, type Db, type Tx } from '../../../store/mutate.js';
import { findService, getService } from '../../../store/services.js';
import { serviceLinkDetails } from '../../../store/link-details.js';
import type { GroupsTable, ServicesTable } from '../../../store/tables.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { addLinks, assertUnexpired, removeLinks } from '../group/link-edits.js';
import { resolveMembers } from '../group/run.js';
import { statusOf } from '../key/run.js';
import { meta, orSkip, showMany } from '../shared.js';

export async function serviceRecords(db: Db, rows: readonly ServicesTable[], now: number): Promise<OutputRecord[]> {
  const ids = rows.map((r) => r.id);
  const resources = await liveLinksOf(db, 'service_resources', ids, now);
  const groups = await groupsOfServices(db, ids, now);
  const out: OutputRecord[] = [];
  for (const r of rows) {
    const keys = await keysOfService(db, r.id);
    const count = (s: string) => keys.filter((k) => statusOf(k, now) === s).length;
    out.push({
      id: r.id,
      name: r.name,
      description: r.description,
      state: r.state,
      resources: resources.get(r.id) ?? [],
      groups: groups.get(r.id) ?? [],
      keys: keys.length,
      activeKeys: count('ACTIVE'),
      revokedKeys: count('REVOKED'),
      expiredKeys: count('EXPIRED'),
      createdAt: formatTimestamp(r.created_at),
      updatedAt: formatTimestamp(r.updated_at),
    });
  }
  return out;
}

/**
 * For a table: each resource and group by name with its own start and expiry (`links`, which no
 * other format prints: a service's fields stay ids there, as `--columns` names them).
 */
export async function withServiceLinks(db: Db, records: readonly OutputRecord[], now: number): Promise<OutputRecord[]> {
  const out: OutputRecord[] = [];
  for (const r of records) {
    const links = await serviceLinkDetails(db, String(r.id), now);
    out.push({ ...r, links: links.map((l) => ({ type: l.type, name: l.name, startsAt: formatTimestamp(l.startsAt), expiresAt: formatTimestamp(l.expiresAt) })) });
  }
  return out;
}

async function groupsOfServices(db: Db, serviceIds: readonly string[], now: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks(serviceIds)) {
    const rows = await db
      .selectFrom('group_services')
      .select(['service_id', 'group_id'])
      .where('service_id', 'in', part)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('group_id')
      .execute();
    for (const r of rows) out.set(r.service_id, [...(out.get(r.service_id) ?? []), r.group_id]);
  }
  return out;
}

export interface ServiceCreateOptions {
  name: string;
  description?: string | undefined;
  resources?: string[] | undefined;
  groups?: string[] | undefined;
  /** A service with this name is printed as it is, unchanged, exit 0. */
  ifNotExists?: boolean | undefined;
}

export async function runServiceCreate(opts: ServiceCreateOptions, ctx: Ctx): Promise<Output> {
  const name = validateServiceName(opts.name);
  const description = validateOptionalText('--description', opts.description, 1024) ?? '';
  const m = meta(ctx);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const existing = await findService(tx.db, name);
    if (existing && opts.ifNotExists) {
      ctx.note(`note: service ${existing.name} already exists; nothing changed`);
      return existing;
    }
    if (existing) throw new ConflictError(`a service named ${name} already exists`, 'names are unique, case-insensitively');
    const resources = await resolveMembers(tx.db, 'resources', opts.resources ?? []);
    const groups: GroupsTable[] = [];
    for (const ref of opts.groups ?? []) {
      const g = await getGroup(tx.db, ref);
      assertUnexpired(g, tx.now, 'group');
      if (!groups.some((x) => x.id === g.id)) groups.push(g);
    }
    const service: ServicesTable = { id: tx.ids.id('service'), name, name_key: nameKey(name), description, state: 'ACTIVE', created_at: tx.now, updated_at: tx.now };
    await tx.db.insertInto('services').values(service).execute();
    const links = [
      ...resources.map((r) => ({ table: 'service_resources' as const, row: { service_id: service.id, resource_id: r, expires_at: null, created_at: tx.now } })),
      ...groups.map((g) => ({ table: 'group_services' as const, row: { group_id: g.id, service_id: service.id, expires_at: null, created_at: tx.now } })),
    ];
    for (const l of links) await tx.db.insertInto(l.table).values(l.row as never).execute();
    tx.audit(objectCreated('service', service, links));
    return service;
  }, async (r, db) => withServiceLinks(db, await serviceRecords(db, [r], m.now), m.now));
  return { kind: 'service', records };
}

export async function runServiceList(opts: { state?: string | undefined }, ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  async function* records() {
    let after = '';
    for (;;) {
      let q = db.selectFrom('services').selectAll().where('name_key', '>', after);
      if (opts.state) q = q.where('state', '=', opts.state);
      const page = await q.orderBy('name_key').limit(500).execute();
      if (page.length === 0) return;
      yield* await serviceRecords(db, page, now);
      if (page.length < 500) return;
      after = page[page.length - 1]!.name_key;
    }
  }
  return { kind: 'service', records: records() };
}

export async function runServiceShow(refs: string[], ctx: Ctx): Promise<Output> {
  const db = ctx.store().db;
  const now = ctx.clock.now();
  return showMany(ctx, 'service', refs, async (ref) => {
    const row = await findService(db, ref);
    return row ? (await withServiceLinks(db, await serviceRecords(db, [row], now), now))[0] : undefined;
  });
}

export async function runServiceUpdate(opts: { ref: string; name?: string | undefined; description?: string | undefined }, ctx: Ctx): Promise<Output> {
  const patch: Partial<ServicesTable> = {};
  if (opts.name !== undefined) {
    patch.name = validateServiceName(opts.name);
    patch.name_key = nameKey(patch.name);
  }
  if (opts.description !== undefined) patch.description = validateOptionalText('--description', opts.description, 1024)!;
  if (Object.keys(patch).length === 0) throw new UsageError('nothing to update', 'pass --name or --description');
  const m = meta(ctx);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const s = await getService(tx.db, opts.ref);
    if (patch.name_key && patch.name_key !== s.name_key && (await findService(tx.db, patch.name!))) throw new ConflictError(`a service named ${patch.name} already exists`);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (patch.name !== undefined && patch.name !== s.name) changes.name = { from: s.name, to: patch.name };
    if (patch.description !== undefined && patch.description !== s.description) changes.description = { from: s.description, to: patch.description };
    if (Object.keys(changes).length === 0) return s;
    await tx.db.updateTable('services').set({ ...patch, updated_at: tx.now }).where('id', '=', s.id).execute();
    tx.expect('services', { id: s.id }, { ...s, ...patch, updated_at: tx.now });
    tx.audit(objectUpdated('service', s, { ...s, ...patch, updated_at: tx.now }));
    return { ...s, ...patch, updated_at: tx.now };
  }, async (r, db) => withServiceLinks(db, await serviceRecords(db, [r], m.now), m.now));
  return { kind: 'service', records };
}

/**
 * Short-lived tokens die with the disable (SPEC section 5): they are deleted in the disable's own
 * transaction, each one audited, so `service enable` has nothing to bring back. Deleting is exact
 * where a "disabled at" time compared with each token's createdAt would not be: a token and a
 * disable in the same millisecond, or a clock that stepped back, would leave the answer in doubt.
 */
async function dropExchangeTokens(tx: Tx, serviceId: string): Promise<void> {
  const tokens = await tx.db
    .selectFrom('exchange_tokens as t')
    .innerJoin('service_keys as k', 'k.id', 't.key_id')
    .selectAll('t')
    .where('k.service_id', '=', serviceId)
    .orderBy('t.id')
    .execute();
  for (const t of tokens) {
    await tx.db.deleteFrom('exchange_tokens').where('id', '=', t.id).execute();
    // Each removal is a row change replay applies, so replay agrees that the token is gone.
    tx.audit(tokenDroppedWithService(t, serviceId));
  }
}

/** Disabling makes every key and token of the service invalid at once; enabling restores the ACTIVE keys, never the short-lived tokens. */
export async function runServiceSetState(refs: string[], state: 'ACTIVE' | 'DISABLED', ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const out = new Map<string, ServicesTable>();
    for (const ref of refs) {
      const s = await getService(tx.db, ref);
      if (out.has(s.id)) continue;
      if (s.state !== state) {
        if (state === 'DISABLED') await dropExchangeTokens(tx, s.id);
        await tx.db.updateTable('services').set({ state, updated_at: tx.now }).where('id', '=', s.id).execute();
        tx.expect('services', { id: s.id }, { ...s, state, updated_at: tx.now });
        tx.audit(objectUpdated('service', s, { ...s, state, updated_at: tx.now }, { action: state === 'ACTIVE' ? 'service.enable' : 'service.disable' }));
        out.set(s.id, { ...s, state, updated_at: tx.now });
      } else out.set(s.id, s);
    }
    return [...out.values()];
  }, (r, db) => serviceRecords(db, r, m.now));
  return { kind: 'service', records };
}

export async function runServiceLinks(op: 'add' | 'remove', opts: { ref: string; resources: string[]; ttl?: number | undefined }, ctx: Ctx): Promise<Output> {
  const m = meta(ctx);
  const records = await mutateAndRead(ctx.store().db, m, async (tx) => {
    const s = await getService(tx.db, opts.ref);
    const ids = await resolveMembers(tx.db, 'resources', opts.resources);
    if (op === 'add') await addLinks(tx, 'service_resources', 'service', s.id, 'resource', ids, opts.ttl === undefined ? null : expiryAfter(tx.now, opts.ttl));
    else await removeLinks(tx, 'service_resources', 'service', s.id, 'resource', ids, (msg) => ctx.note(msg));
    return s;
  }, async (r, db) => withServiceLinks(db, await serviceRecords(db, [r], m.now), m.now));
  return { kind: 'service', records };
}

/** Deletes services with their keys, tokens and links; the audit log records each key. */
export async function runServiceDelete(refs: string[], ctx: Ctx, ignoreNotFound = false): Promise<Output> {
  const m = meta(ctx);
  const records = await mutate(ctx.store().db, m, async (tx) => {
    const out: OutputRecord[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      const s = await orSkip(ctx, ignoreNotFound, () => getService(tx.db, ref));
      if (!s || seen.has(s.id)) continue;
      seen.add(s.id);
      const [record] = await serviceRecords(tx.db, [s], tx.now);
      for (const k of await keysOfService(tx.db, s.id)) {
        tx.audit(keyDeleted(k, 'service.delete', { status: statusOf(k, tx.now) }));
      }
      const cascade = await serviceCascade(tx.db, s.id);
      await tx.db.deleteFrom('services').where('id', '=', s.id).execute();
      tx.audit(objectDeleted('service', s, cascade));
      out.push(record!);
    }
    return out;
  });
  return { kind: 'service', records };
}
