import { ConflictError, UsageError } from '../../../domain/errors.js';
import { parsePortRule } from '../../../domain/ports.js';
import { nameKey, validateAddress, validateName, validateOptionalText } from '../../../domain/validate.js';
import { objectCreated, objectDeleted, objectUpdated } from '../../../domain/audit-events.js';
import { mutate } from '../../../store/mutate.js';
import { findResource, getResource, streamResources } from '../../../store/resources.js';
import type { ResourcesTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { mapStream, resourceRecord } from '../../records.js';
import { diff, meta, orSkip, showMany } from '../shared.js';

export interface ResourceFields {
  name?: string | undefined;
  address?: string | undefined;
  alias?: string | undefined;
  tcp?: string | undefined;
  udp?: string | undefined;
  icmp?: boolean | undefined;
}

/** Validates the given fields into a row patch; absent fields stay absent. */
function resourcePatch(f: ResourceFields): Partial<ResourcesTable> {
  const patch: Partial<ResourcesTable> = {};
  if (f.name !== undefined) {
    patch.name = validateName('resource', f.name);
    patch.name_key = nameKey(patch.name);
  }
  if (f.address !== undefined) patch.address = validateAddress(f.address);
  if (f.alias !== undefined) patch.alias = f.alias === '' ? null : validateAddress(validateOptionalText('--alias', f.alias, 253)!);
  if (f.tcp !== undefined) patch.tcp = parsePortRule(f.tcp, '--tcp');
  if (f.udp !== undefined) patch.udp = parsePortRule(f.udp, '--udp');
  if (f.icmp !== undefined) patch.icmp = f.icmp ? 1 : 0;
  return patch;
}

export async function runResourceCreate(f: ResourceFields & { name: string; address: string; ifNotExists?: boolean | undefined }, ctx: Ctx): Promise<Output> {
  const patch = resourcePatch(f);
  const created = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const existing = await findResource(tx.db, patch.name!);
    if (existing && f.ifNotExists) {
      ctx.note(`note: resource ${existing.name} already exists; nothing changed`);
      return existing;
    }
    if (existing) {
      throw new ConflictError(`a resource named ${JSON.stringify(patch.name)} already exists`, 'names are unique, case-insensitively');
    }
    const row: ResourcesTable = {
      id: tx.ids.id('resource'),
      name: patch.name!,
      name_key: patch.name_key!,
      address: patch.address!,
      alias: patch.alias ?? null,
      tcp: patch.tcp ?? 'ALLOW_ALL',
      udp: patch.udp ?? 'ALLOW_ALL',
      icmp: patch.icmp ?? 1,
      is_active: 1,
      created_at: tx.now,
      updated_at: tx.now,
    };
    await tx.db.insertInto('resources').values(row).execute();
    tx.audit(objectCreated('resource', row));
    return row;
  });
  return { kind: 'resource', records: [resourceRecord(created)] };
}

export async function runResourceList(opts: { active?: boolean | undefined; search?: string | undefined }, ctx: Ctx): Promise<Output> {
  return { kind: 'resource', records: mapStream(streamResources(ctx.store().db, opts), resourceRecord) };
}

export async function runResourceShow(refs: string[], ctx: Ctx): Promise<Output> {
  return showMany(ctx, 'resource', refs, async (ref) => {
    const row = await findResource(ctx.store().db, ref);
    return row ? resourceRecord(row) : undefined;
  });
}

export async function runResourceUpdate(ref: string, f: ResourceFields, ctx: Ctx): Promise<Output> {
  const patch = resourcePatch(f);
  if (Object.keys(patch).length === 0) throw new UsageError('nothing to update', 'pass --name, --address, --alias, --tcp, --udp or --icmp/--no-icmp');
  const updated = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const row = await getResource(tx.db, ref);
    if (patch.name_key && patch.name_key !== row.name_key && (await findResource(tx.db, patch.name!))) {
      throw new ConflictError(`a resource named ${JSON.stringify(patch.name)} already exists`);
    }
    const changes = diff(row, patch);
    if (Object.keys(changes).length === 0) return row;
    await tx.db.updateTable('resources').set({ ...patch, updated_at: tx.now }).where('id', '=', row.id).execute();
    tx.expect('resources', { id: row.id }, { ...row, ...patch, updated_at: tx.now });
    tx.audit(objectUpdated('resource', row, { ...row, ...patch, updated_at: tx.now }));
    return { ...row, ...patch, updated_at: tx.now };
  });
  return { kind: 'resource', records: [resourceRecord(updated)] };
}

export async function runResourceSetActive(refs: string[], active: boolean, ctx: Ctx): Promise<Output> {
  const rows = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const out = new Map<string, ResourcesTable>();
    for (const ref of refs) {
      const row = await getResource(tx.db, ref);
      if (out.has(row.id)) continue;
      const flag = active ? 1 : 0;
      if (row.is_active !== flag) {
        await tx.db.updateTable('resources').set({ is_active: flag, updated_at: tx.now }).where('id', '=', row.id).execute();
        tx.expect('resources', { id: row.id }, { ...row, is_active: flag, updated_at: tx.now });
        tx.audit(objectUpdated('resource', row, { ...row, is_active: flag, updated_at: tx.now }, { action: active ? 'resource.enable' : 'resource.disable' }));
        out.set(row.id, { ...row, is_active: flag, updated_at: tx.now });
      } else out.set(row.id, row);
    }
    return [...out.values()];
  });
  return { kind: 'resource', records: rows.map(resourceRecord) };
}

export async function runResourceDelete(refs: string[], ctx: Ctx, ignoreNotFound = false): Promise<Output> {
  const rows = await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const out = new Map<string, ResourcesTable>();
    for (const ref of refs) {
      const row = await orSkip(ctx, ignoreNotFound, () => getResource(tx.db, ref));
      if (!row || out.has(row.id)) continue;
      const g = await tx.db.deleteFrom('group_resources').where('resource_id', '=', row.id).returningAll().execute();
      const s = await tx.db.deleteFrom('service_resources').where('resource_id', '=', row.id).returningAll().execute();
      await tx.db.deleteFrom('resources').where('id', '=', row.id).execute();
      const cascade = [...g.map((r) => ({ table: 'group_resources' as const, row: r })), ...s.map((r) => ({ table: 'service_resources' as const, row: r }))];
      tx.audit(objectDeleted('resource', row, cascade));
      out.set(row.id, row);
    }
    return [...out.values()];
  });
  return { kind: 'resource', records: rows.map(resourceRecord) };
}
