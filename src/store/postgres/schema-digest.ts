import { StoreError } from '../../domain/errors.js';
import { closestDifferences, describeDifference, schemaCanonical, schemaMismatch, type SchemaRow } from '../schema-compare.js';
import type { StoreCheck } from '../store.js';
import { PG_SCHEMA_CATALOG } from './schema-catalog.js';

/**
 * SPEC section 2, "The schema is exactly ours", on PostgreSQL: every relation, column,
 * constraint, index, trigger, rule, view, row policy and function in the store's schema, as the
 * server's catalog describes it, compared with what schema.pg.sql creates (schema-catalog.ts, kept
 * in step with it by test/postgres/schema-catalog.test.ts). One query per command; the schema's
 * own name is taken out of the definitions, so a store in any schema compares alike.
 *
 * Not covered here: privileges, ownership and database-wide objects (event triggers, objects in
 * other schemas that our tables do not name); triggers on our tables are covered wherever their
 * function lives.
 */
export const CATALOG_SQL = `
with ns as (select oid, nspname from pg_namespace where nspname = current_schema())
select 'relation' as kind, c.relname as name, c.relname as tbl,
       c.relkind::text || case when c.relrowsecurity then ' row security' else '' end || case when c.relforcerowsecurity then ' forced' else '' end as def
  from pg_class c join ns on c.relnamespace = ns.oid where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')
union all
select 'column', c.relname || '.' || a.attname, c.relname,
       format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || case when a.attidentity <> '' then ' identity ' || a.attidentity::text else '' end
       || case when a.attgenerated <> '' then ' generated' else '' end
  from pg_attribute a join pg_class c on c.oid = a.attrelid join ns on c.relnamespace = ns.oid
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
union all
select 'constraint', c.relname || '.' || k.conname, c.relname, pg_get_constraintdef(k.oid)
  from pg_constraint k join pg_class c on c.oid = k.conrelid join ns on c.relnamespace = ns.oid
union all
select 'index', i.relname, c.relname, pg_get_indexdef(i.oid)
  from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join ns on c.relnamespace = ns.oid
union all
select 'trigger', c.relname || '.' || t.tgname, c.relname, pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
  from pg_trigger t join pg_class c on c.oid = t.tgrelid join ns on c.relnamespace = ns.oid where not t.tgisinternal
union all
select 'rule', c.relname || '.' || r.rulename, c.relname, pg_get_ruledef(r.oid)
  from pg_rewrite r join pg_class c on c.oid = r.ev_class join ns on c.relnamespace = ns.oid where r.rulename <> '_RETURN'
union all
select 'view', c.relname, c.relname, pg_get_viewdef(c.oid)
  from pg_class c join ns on c.relnamespace = ns.oid where c.relkind in ('v', 'm')
union all
select 'policy', c.relname || '.' || p.polname, c.relname,
       p.polcmd::text || case when p.polpermissive then ' permissive' else ' restrictive' end || ' to ' || p.polroles::text
       || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-') || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
  from pg_policy p join pg_class c on c.oid = p.polrelid join ns on c.relnamespace = ns.oid
union all
select 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', '',
       p.prokind::text || ' ' || md5(coalesce(p.prosrc, '') || ' ' || coalesce(p.proconfig::text, '') || ' ' || p.prosecdef::text)
  from pg_proc p join ns on p.pronamespace = ns.oid
`;

type Rows = Array<{ kind: string; name: string; tbl: string; def: string | null }>;

/** The catalog rows of the store's schema, in the order schema-compare.ts compares them. */
export async function pgSchemaRows(query: (sql: string) => Promise<Rows>, schemaName: string): Promise<SchemaRow[]> {
  const rows = await query(CATALOG_SQL);
  const qualified = [`"${schemaName.replace(/"/g, '""')}".`, `${schemaName}.`];
  const strip = (def: string | null) => (def === null ? null : qualified.reduce((d, q) => d.split(q).join(''), def));
  const out: SchemaRow[] = rows.map((r) => [r.kind, r.name, r.tbl, strip(r.def)] as const);
  const key = (r: SchemaRow) => `${r[0]}\u0000${r[1]}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function pgExpectedRows(version: number): SchemaRow[] {
  const rows = PG_SCHEMA_CATALOG[version];
  if (rows === undefined) throw new StoreError(`this accessctl does not know PostgreSQL schema ${version}`, 'upgrade accessctl');
  return rows as SchemaRow[];
}

/** Exit 6 naming the first differences, unless the schema is exactly the shipped one. */
export function verifyPgSchema(actual: SchemaRow[], version: number, where: string): void {
  const diffs = closestDifferences(actual, [pgExpectedRows(version)]);
  if (diffs.length > 0) throw schemaMismatch(where, version, diffs);
}

/** db check's records on PostgreSQL: one per difference, or one saying the schema matches. */
export function pgSchemaChecks(actual: SchemaRow[], version: number, sha256: (text: string) => string): StoreCheck[] {
  const diffs = closestDifferences(actual, [pgExpectedRows(version)]);
  if (diffs.length === 0) {
    return [{ check: 'schemaObjects', ok: true, detail: `${actual.length} catalog objects exactly as schema ${version} defines them (sha256 ${sha256(schemaCanonical(actual)).slice(0, 16)})` }];
  }
  return diffs.map((d) => ({ check: 'schemaObjects', ok: false, detail: describeDifference(d, version) }));
}
