import { sql } from 'kysely';
import { NotFoundError } from '../domain/errors.js';
import { assertIdShape, looksLikeId } from '../domain/ids.js';
import { nameKey } from '../domain/validate.js';
import type { Db } from './mutate.js';
import type { UsersTable } from './tables.js';

export interface UserFilter {
  state?: string | undefined;
  role?: string | undefined;
  search?: string | undefined;
}

export async function findUser(db: Db, ref: string): Promise<UsersTable | undefined> {
  const q = db.selectFrom('users').selectAll();
  if (looksLikeId('user', ref)) return q.where('id', '=', ref).executeTakeFirst();
  return q.where('email_key', '=', nameKey(ref.trim())).executeTakeFirst();
}

export async function getUser(db: Db, ref: string): Promise<UsersTable> {
  const row = await findUser(db, ref);
  if (row) return row;
  assertIdShape('user', ref);
  throw new NotFoundError(`user ${JSON.stringify(ref.slice(0, 80))} not found`, 'pass a user id (usr_…) or email; see accessctl user list');
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%". */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function streamUsers(db: Db, filter: UserFilter) {
  let q = db.selectFrom('users').selectAll();
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.role) q = q.where('role', '=', filter.role);
  if (filter.search) {
    const like = likeContains(filter.search);
    q = q.where(
      sql<boolean>`(lower(email) like ${like} escape '\\' or lower(first_name) like ${like} escape '\\' or lower(last_name) like ${like} escape '\\')`,
    );
  }
  return q.orderBy('email_key').stream();
}
