import { nameKey, parseEnum, ROLES, validateEmail, validateOptionalText } from '../../../domain/validate.js';
import type { UsersTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import { collectRows } from '../../csv-import.js';
import type { Output } from '../../emit.js';
import { upsertRows } from '../../import-upsert.js';

const COLUMNS = ['email', 'firstName', 'lastName', 'role', 'state'] as const;

/** Upserts users by email from CSV: every row valid, or nothing changes. */
export async function runUserImport(file: string, opts: { dryRun?: boolean | undefined }, ctx: Ctx): Promise<Output> {
  const rows = await collectRows<UsersTable>(ctx, file, COLUMNS, ['email'], (row) => {
    const email = validateEmail(row.email ?? '');
    const patch: Partial<UsersTable> = { email };
    if (row.firstName) patch.first_name = validateOptionalText('firstName', row.firstName, 255)!;
    if (row.lastName) patch.last_name = validateOptionalText('lastName', row.lastName, 255)!;
    if (row.role) patch.role = parseEnum('role', ROLES, row.role);
    if (row.state) patch.state = parseEnum('state', ['ACTIVE', 'DISABLED'] as const, row.state);
    return { key: nameKey(email), name: email, patch };
  });
  const changes = await upsertRows<UsersTable>(
    ctx,
    {
      table: 'users',
      nameColumn: 'email',
      keyColumn: 'email_key',
      kind: 'user',
      create: (p, id, now) => ({
        id,
        email: p.email!,
        email_key: nameKey(p.email!),
        first_name: p.first_name ?? '',
        last_name: p.last_name ?? '',
        role: p.role ?? 'MEMBER',
        state: p.state ?? 'ACTIVE',
        type: 'MANUAL',
        created_at: now,
        updated_at: now,
      }),
    },
    rows,
    Boolean(opts.dryRun),
  );
  return { kind: 'importChange', records: changes };
}
