import type { SchemaRow } from '../schema-compare.js';

/**
 * Tables as earlier schema versions wrote them, frozen in time: a store at an older version must
 * hold exactly its own version's objects (SPEC section 2), and its migration rebuilds from them.
 * sqlite_master keeps a CREATE statement's text verbatim, so these are byte for byte what the
 * schema.sql of that version stored.
 */

/** Schema 2's groups table: its type could not be `SYNCED`. */
export const SCHEMA2_GROUPS_SQL = `CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYSTEM')),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
)`;

/** Schema 3's users table: no login. */
export const SCHEMA3_USERS_SQL = `CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  email_key   TEXT NOT NULL UNIQUE,
  first_name  TEXT NOT NULL DEFAULT '',
  last_name   TEXT NOT NULL DEFAULT '',
  role        TEXT NOT NULL CHECK (role IN ('ADMIN', 'DEVOPS', 'SUPPORT', 'MEMBER')),
  state       TEXT NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYNCED')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
)`;

/** Schema 3's groups table: no request policy. */
export const SCHEMA3_GROUPS_SQL = `CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED')),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
)`;

/** Schema 3's group_users table: no starts_at. */
export const SCHEMA3_GROUP_USERS_SQL = `CREATE TABLE group_users (
  group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID`;

/** What schema 4 added outright (access requests and reviews): schema 3 has none of these objects. */
const ADDED_IN_4 = new Set(['table requests', 'index requests_group', 'index requests_user', 'index users_login', 'table reviews', 'table review_items']);

const SCHEMA3_TABLES: Record<string, string> = { users: SCHEMA3_USERS_SQL, groups: SCHEMA3_GROUPS_SQL, group_users: SCHEMA3_GROUP_USERS_SQL };

/** The objects of schema 3: today's, without the requests, reviews and logins, with schema 3's tables. */
export function schema3Rows(current: readonly SchemaRow[]): SchemaRow[] {
  return current
    .filter((r) => !ADDED_IN_4.has(`${r[0]} ${r[1]}`))
    .map((r) => (r[0] === 'table' && SCHEMA3_TABLES[r[1]] !== undefined ? ([r[0], r[1], r[2], SCHEMA3_TABLES[r[1]]!] as const) : r));
}

/** The objects of schema 1 and 2: schema 3's, with schema 2's groups table. */
export function schema2Rows(current: readonly SchemaRow[]): SchemaRow[] {
  return schema3Rows(current).map((r) => (r[0] === 'table' && r[1] === 'groups' ? ([r[0], r[1], r[2], SCHEMA2_GROUPS_SQL] as const) : r));
}
