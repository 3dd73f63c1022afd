import type { UsersTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { upsertRows } from '../../import-upsert.js';
import { collectUserRows, newUser, parseLayout, type LayoutFlags } from './user-rows.js';

/** Upserts users by email from CSV: every row valid, or nothing changes. */
export async function runUserImport(file: string, opts: LayoutFlags & { dryRun?: boolean | undefined }, ctx: Ctx): Promise<Output> {
  const rows = await collectUserRows(ctx, file, parseLayout(opts));
  const changes = await upsertRows<UsersTable>(ctx, { table: 'users', nameColumn: 'email', keyColumn: 'email_key', kind: 'user', create: newUser }, rows, Boolean(opts.dryRun));
  return { kind: 'importChange', records: changes };
}
