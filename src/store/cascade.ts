import type { Kysely } from 'kysely';
import type { LinkTable } from '../domain/audit-events.js';
import { LINKS } from './links.js';
import type { Db } from './mutate.js';

/** A link row as the audit log records it: owner, member, expires_at, created_at. */
export interface CascadeRow {
  table: LinkTable;
  row: Record<string, string | number | null>;
}

const loose = (db: Db) => db as unknown as Kysely<Record<string, Record<string, unknown>>>;

/** Every link row that names `id` on the given side: what ON DELETE CASCADE is about to remove. */
async function linksNaming(db: Db, tables: ReadonlyArray<[LinkTable, 'owner' | 'member']>, id: string): Promise<CascadeRow[]> {
  const out: CascadeRow[] = [];
  for (const [table, side] of tables) {
    const col = LINKS[table][side];
    const rows = (await loose(db).selectFrom(table).selectAll().where(col, '=', id).orderBy(LINKS[table][side === 'owner' ? 'member' : 'owner']).execute()) as CascadeRow['row'][];
    for (const row of rows) out.push({ table, row });
  }
  return out;
}

/** The links a group's delete removes with it. */
export function groupCascade(db: Db, groupId: string): Promise<CascadeRow[]> {
  return linksNaming(db, [['group_users', 'owner'], ['group_resources', 'owner'], ['group_services', 'owner']], groupId);
}

/**
 * The links each group's delete removes with it, for many groups at once: one query per link
 * table instead of three per group (sweep removes a thousand groups in one transaction). The
 * rows of each group come in the same order as groupCascade gives them.
 */
export async function groupCascades(db: Db, groupIds: readonly string[]): Promise<Map<string, CascadeRow[]>> {
  const out = new Map<string, CascadeRow[]>(groupIds.map((id) => [id, []]));
  for (const table of ['group_users', 'group_resources', 'group_services'] as const) {
    const { owner, member } = LINKS[table];
    const rows = (await loose(db).selectFrom(table).selectAll().where(owner, 'in', groupIds).orderBy(owner).orderBy(member).execute()) as CascadeRow['row'][];
    for (const row of rows) out.get(row[owner] as string)!.push({ table, row });
  }
  return out;
}

/** The links a service's delete removes with it (its keys get events of their own). */
export function serviceCascade(db: Db, serviceId: string): Promise<CascadeRow[]> {
  return linksNaming(db, [['service_resources', 'owner'], ['group_services', 'member']], serviceId);
}

/** Deletes one link and returns the row it was, or null when there was none. */
export async function takeLink(db: Db, table: LinkTable, owner: string, member: string): Promise<CascadeRow['row'] | null> {
  const { owner: o, member: m } = LINKS[table];
  const rows = (await loose(db).deleteFrom(table).where(o, '=', owner).where(m, '=', member).returningAll().execute()) as CascadeRow['row'][];
  return rows[0] ?? null;
}
