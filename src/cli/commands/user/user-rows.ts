import { UsageError } from '../../../domain/errors.js';
import { validatePersonName } from '../../../domain/person-name.js';
import { isExternal, mapState, parseColumnMap, parseProvider, resolveHeader, type UserLayout } from '../../../domain/sync/providers.js';
import { nameKey, parseEnum, ROLES, validateEmail } from '../../../domain/validate.js';
import type { UsersTable } from '../../../store/tables.js';
import type { Ctx } from '../../context.js';
import { collectRows, type ImportRows } from '../../csv-import.js';

/** accessctl's own user CSV layout. */
export const USER_COLUMNS = ['email', 'firstName', 'lastName', 'role', 'state'] as const;

export interface LayoutFlags {
  from?: string | undefined;
  map?: string | undefined;
}

export function parseLayout(flags: LayoutFlags): UserLayout {
  return {
    provider: flags.from === undefined ? undefined : parseProvider(flags.from),
    map: flags.map === undefined ? undefined : parseColumnMap(flags.map),
  };
}

/**
 * Reads and checks every row of a user CSV in the given layout (all bad lines reported, nothing
 * returned when one is bad). Rows read through a preset or map make `SYNCED` users; a row without
 * a state gets `defaultState` when one is given (a sync: the person is in the directory).
 */
export async function collectUserRows(ctx: Ctx, file: string, layout: UserLayout, defaultState?: 'ACTIVE'): Promise<ImportRows<UsersTable>> {
  const external = isExternal(layout);
  let noted = false;
  const readHeader = (header: readonly string[]) => {
    const { fields, ignored } = resolveHeader(header, layout, [...USER_COLUMNS]);
    if (ignored.length > 0 && !noted) {
      noted = true;
      ctx.note(`note: ignoring CSV column${ignored.length === 1 ? '' : 's'} ${ignored.map((c) => JSON.stringify(c.slice(0, 40))).join(', ')} (not mapped)`);
    }
    return fields;
  };
  return collectRows<UsersTable>(
    ctx,
    file,
    USER_COLUMNS,
    external ? [] : ['email'],
    (row) => {
      const address = row.email || row.login || '';
      if (address === '' && external) throw new UsageError('no email and no login');
      const email = validateEmail(address);
      const patch: Partial<UsersTable> = { email };
      if (row.firstName) patch.first_name = validatePersonName('firstName', row.firstName)!;
      if (row.lastName) patch.last_name = validatePersonName('lastName', row.lastName)!;
      if (row.role) patch.role = parseEnum('role', ROLES, row.role);
      // A provider's export gives every person a state: an empty cell is a broken row, not "active".
      if (row.state === '' && layout.provider) throw new UsageError('state is empty', `every row of a ${layout.provider} export has one`);
      if (row.state) patch.state = external ? mapState(row.state, layout) : parseEnum('state', ['ACTIVE', 'DISABLED'] as const, row.state);
      else if (defaultState) patch.state = defaultState;
      if (external) patch.type = 'SYNCED';
      return { key: nameKey(email), name: email, patch };
    },
    readHeader,
  );
}

/** A new user from a row's patch. */
export function newUser(p: Partial<UsersTable>, id: string, now: number): UsersTable {
  return {
    id,
    email: p.email!,
    email_key: nameKey(p.email!),
    first_name: p.first_name ?? '',
    last_name: p.last_name ?? '',
    role: p.role ?? 'MEMBER',
    state: p.state ?? 'ACTIVE',
    type: p.type ?? 'MANUAL',
    login: p.login ?? null,
    created_at: now,
    updated_at: now,
  };
}
