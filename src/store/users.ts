import { filterRows, matchesSearch, searchCondition } from './search.js';
import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import { confirmed } from './index-guard.js';
import type { Db } from './mutate.js';
import type { UsersTable } from './tables.js';

export interface UserFilter {
  state?: string | undefined;
  role?: string | undefined;
  search?: string | undefined;
}

export async function findUser(db: Db, ref: string): Promise<UsersTable | undefined> {
  const q = db.selectFrom('users').selectAll();
  if (looksLikeId('user', ref)) return confirmed(db, await q.where('id', '=', ref).executeTakeFirst(), 'users', 'id', ref);
  const key = nameKey(ref.trim());
  return confirmed(db, await q.where('email_key', '=', key).executeTakeFirst(), 'users', 'email_key', key);
}

/** The user linked to a login (SPEC section 15), matched exactly. */
export async function findUserByLogin(db: Db, login: string): Promise<UsersTable | undefined> {
  // Who may approve is decided by this row: confirmed against the table like every access lookup.
  return confirmed(db, await db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst(), 'users', 'login', login);
}

export async function getUser(db: Db, ref: string): Promise<UsersTable> {
  const row = await findUser(db, ref);
  if (row) return row;
  assertIdShape('user', ref);
  throw new NotFoundError(`user ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a user id (usr_…) or email; see accessctl user list');
}

export function streamUsers(db: Db, filter: UserFilter) {
  let q = db.selectFrom('users').selectAll();
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.role) q = q.where('role', '=', filter.role);
  const search = filter.search;
  if (search) {
    const where = searchCondition(db, ['email', 'first_name', 'last_name'], search);
    if (where === null) return filterRows(q.orderBy('email_key').stream(), (r) => matchesSearch([r.email, r.first_name, r.last_name], search));
    q = q.where(where);
  }
  return q.orderBy('email_key').stream();
}
