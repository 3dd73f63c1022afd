import { sql, type Kysely } from 'kysely';
import { UsageError } from '../../domain/errors.js';
import type { Database } from '../tables.js';
import { STORE_TABLES } from './schema.js';

/**
 * Least privilege at the engine (SPEC section 11): what a reader (auditors, gates, --batch) and a
 * writer (operators, cron) are granted, and what db check reports as too much.
 */

export type GrantKind = 'reader' | 'writer';

/** Every table accessctl reads: the store's and the version table. */
const ALL_TABLES = [...STORE_TABLES, 'accessctl_schema'] as const;

/** Role names are quoted as identifiers; a name that needs more than that is refused. */
export function quoteRole(role: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$/.test(role)) {
    throw new UsageError(`invalid role name ${JSON.stringify(role.slice(0, 64))}`, 'use letters, digits, "_", "$", "." and "-", starting with a letter or "_"');
  }
  return `"${role}"`;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Place {
  database: string;
  schema: string;
  owner: string;
}

export async function storePlace(db: Kysely<Database>): Promise<Place> {
  const r = await sql<Place>`select current_database() as database, current_schema() as schema, pg_get_userbyid(c.relowner) as owner
    from pg_class c where c.oid = to_regclass('audit_events')`.execute(db);
  const place = r.rows[0];
  if (place === undefined) throw new UsageError('no accessctl store here to grant on', 'run accessctl db init first, as the owner');
  return place;
}

/**
 * The statements, in order. Everything is revoked first, so running them again, or turning a
 * writer into a reader, leaves exactly this. audit_events gets INSERT and SELECT only; the
 * append-only trigger of the schema refuses the rest to anyone but the owner anyway.
 */
export function grantStatements(kind: GrantKind, role: string, place: Place): string[] {
  const r = quoteRole(role);
  const schema = ident(place.schema);
  const tables = (names: readonly string[]) => names.map((t) => `${schema}.${ident(t)}`).join(', ');
  const out = [
    `GRANT CONNECT ON DATABASE ${ident(place.database)} TO ${r};`,
    // A temporary table named like a store table comes first on the search path: behind a pooler
    // (PgBouncer's transaction pooling) it outlives its client and answers the next one's queries.
    // A schema named like a role comes first on that role's search path.
    `REVOKE CREATE, TEMPORARY ON DATABASE ${ident(place.database)} FROM PUBLIC, ${r};`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${r};`,
    // Nobody but the owner creates objects (tables, functions, views) in the store's schema.
    `REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC, ${r};`,
    `REVOKE ALL ON ${tables(ALL_TABLES)} FROM ${r};`,
    `GRANT SELECT ON ${tables(ALL_TABLES)} TO ${r};`,
  ];
  if (kind === 'writer') {
    out.push(`GRANT INSERT, UPDATE, DELETE ON ${tables(STORE_TABLES.filter((t) => t !== 'audit_events'))} TO ${r};`);
    out.push(`GRANT INSERT ON ${tables(['audit_events'])} TO ${r};`);
  }
  return out;
}

export interface PrivilegeFinding {
  role: string;
  what: string;
}

/**
 * Roles other than the owner (and superusers, who are above any grant) that can change or delete
 * audit rows, create objects in the schema, attach triggers to a store table, create schemas in the
 * database (one named like a role shadows the store for it), or read the store and create
 * temporary tables (they shadow the store's tables in a pooled session). Inherited privileges
 * count: a member of a role that may is reported by name.
 */
export async function excessPrivileges(db: Kysely<Database>): Promise<PrivilegeFinding[]> {
  const tables = sql.join(ALL_TABLES.map((t) => sql.lit(t)));
  const r = await sql<{ role: string; what: string }>`
    with owner as (select c.relowner as oid from pg_class c where c.oid = to_regclass('audit_events')),
    roles as (select r.oid, r.rolname from pg_roles r where not r.rolsuper and r.rolname !~ '^pg_' and r.oid <> (select oid from owner))
    select rolname as role, 'can ' || string_agg(p, ', ' order by p) || ' audit_events' as what from roles
      cross join unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) as p
      where has_table_privilege(roles.oid, 'audit_events', p) group by rolname
    union all
    select rolname, 'can CREATE in schema ' || current_schema() from roles where has_schema_privilege(roles.oid, current_schema(), 'CREATE')
    union all
    select rolname, 'can add triggers to ' || string_agg(t, ', ' order by t) from roles
      cross join unnest(array[${tables}]) as t
      where to_regclass(t) is not null and has_table_privilege(roles.oid, t, 'TRIGGER') group by rolname
    union all
    select rolname, 'can CREATE schemas in database ' || current_database() from roles where has_database_privilege(roles.oid, current_database(), 'CREATE')
    union all
    select rolname, 'can create TEMPORARY tables in database ' || current_database() || ' that shadow the store''s' from roles
      where has_database_privilege(roles.oid, current_database(), 'TEMPORARY')
      and exists (select 1 from unnest(array[${tables}]) as t where to_regclass(t) is not null and has_table_privilege(roles.oid, t, 'SELECT'))
    order by 1, 2`.execute(db);
  return r.rows;
}
