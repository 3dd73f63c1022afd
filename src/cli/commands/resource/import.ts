import { UsageError } from '../../../domain/errors.js';
import { parsePortRule } from '../../../domain/ports.js';
import { nameKey, validateAddress, validateName } from '../../../domain/validate.js';
import type { ResourcesTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import { collectRows } from '../../csv-import.js';
import type { Output } from '../../emit.js';
import { upsertRows } from '../../import-upsert.js';

const COLUMNS = ['name', 'address', 'alias', 'tcp', 'udp', 'icmp', 'isActive'] as const;

function bool(what: string, raw: string): number {
  const v = raw.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(v)) return 1;
  if (['false', 'no', '0'].includes(v)) return 0;
  throw new UsageError(`invalid ${what} ${JSON.stringify(raw.slice(0, 20))} (use true or false)`);
}

/** Upserts resources by name from CSV: every row valid, or nothing changes. */
export async function runResourceImport(file: string, opts: { dryRun?: boolean | undefined }, ctx: Ctx): Promise<Output> {
  const rows = await collectRows<ResourcesTable>(ctx, file, COLUMNS, ['name'], (row) => {
    const name = validateName('resource', row.name ?? '');
    const patch: Partial<ResourcesTable> = { name };
    if (row.address) patch.address = validateAddress(row.address);
    if (row.alias) patch.alias = validateAddress(row.alias);
    if (row.tcp) patch.tcp = parsePortRule(row.tcp, 'tcp');
    if (row.udp) patch.udp = parsePortRule(row.udp, 'udp');
    if (row.icmp) patch.icmp = bool('icmp', row.icmp);
    if (row.isActive) patch.is_active = bool('isActive', row.isActive);
    return { key: nameKey(name), name, patch };
  });
  const changes = await upsertRows<ResourcesTable>(
    ctx,
    {
      table: 'resources',
      nameColumn: 'name',
      keyColumn: 'name_key',
      kind: 'resource',
      create: (p, id, now) =>
        p.address === undefined
          ? 'a new resource needs an address'
          : {
              id,
              name: p.name!,
              name_key: nameKey(p.name!),
              address: p.address,
              alias: p.alias ?? null,
              tcp: p.tcp ?? 'ALLOW_ALL',
              udp: p.udp ?? 'ALLOW_ALL',
              icmp: p.icmp ?? 1,
              is_active: p.is_active ?? 1,
              created_at: now,
              updated_at: now,
            },
    },
    rows,
    Boolean(opts.dryRun),
  );
  return { kind: 'importChange', records: changes };
}
