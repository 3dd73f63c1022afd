import { StoreError } from '../domain/errors.js';

/**
 * SPEC section 2, "The schema is exactly ours", in either dialect: a store's schema objects (as
 * sqlite_master or PostgreSQL's catalog describes them) compared with what its schema version
 * defines. The comparison is of the canonical text of those rows (cheaper than hashing it, and no
 * crypto to load on a read); its SHA-256 is what db check prints. Each dialect reads its own rows
 * (sqlite/schema-digest.ts, postgres/schema-digest.ts).
 */

/** One schema object: type, name, the table it belongs to, its definition. */
export type SchemaRow = readonly [type: string, name: string, table: string, sql: string | null];

/** The canonical text of a schema: one JSON array per object, in (type, name) order. */
export function schemaCanonical(rows: readonly SchemaRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

export interface SchemaDifference {
  /** "trigger keep_revoked (on service_keys)", "index group_users_user", ... */
  object: string;
  problem: 'extra' | 'missing' | 'altered';
}

export function schemaDifferences(actual: readonly SchemaRow[], expected: readonly SchemaRow[]): SchemaDifference[] {
  const id = (r: SchemaRow) => `${r[0]} ${r[1]}`;
  const label = (r: SchemaRow) => (r[0] === 'table' || r[2] === r[1] || r[2] === '' ? id(r) : `${id(r)} (on ${r[2]})`);
  const want = new Map(expected.map((r) => [id(r), r]));
  const have = new Map(actual.map((r) => [id(r), r]));
  const out: SchemaDifference[] = [];
  for (const r of actual) {
    const w = want.get(id(r));
    if (!w) out.push({ object: label(r), problem: 'extra' });
    else if (w[2] !== r[2] || w[3] !== r[3]) out.push({ object: label(r), problem: 'altered' });
  }
  for (const r of expected) if (!have.has(id(r))) out.push({ object: label(r), problem: 'missing' });
  return out;
}

export function describeDifference(d: SchemaDifference, version: number): string {
  if (d.problem === 'extra') return `${d.object} is not part of schema ${version}`;
  if (d.problem === 'missing') return `${d.object} is missing (schema ${version} defines it)`;
  return `${d.object} differs from schema ${version}`;
}

/**
 * The differences from the closest of the accepted definitions (none if one matches exactly).
 * Comparing the canonical texts first keeps the common case to one string comparison.
 */
export function closestDifferences(actual: readonly SchemaRow[], accepted: readonly (readonly SchemaRow[])[]): SchemaDifference[] {
  const text = schemaCanonical(actual);
  if (accepted.some((a) => schemaCanonical(a) === text)) return [];
  return accepted.map((a) => schemaDifferences(actual, a)).sort((a, b) => a.length - b.length)[0]!;
}

/** Exit 6 naming the first differences; db check lists every one. */
export function schemaMismatch(path: string, version: number, diffs: SchemaDifference[]): StoreError {
  const shown = diffs.slice(0, 3).map((d) => describeDifference(d, version));
  const more = diffs.length > 3 ? ` (and ${diffs.length - 3} more)` : '';
  const leftover = diffs.length === 1 && diffs[0]!.object === 'table audit_events' && diffs[0]!.problem === 'altered';
  return new StoreError(
    `store ${path} is not exactly accessctl's schema: ${shown.join('; ')}${more}`,
    leftover
      ? 'if it was upgraded from the first release, run: accessctl db migrate; otherwise accessctl db check lists every difference'
      : 'accessctl db check lists every difference; remove what was added, or restore from a backup',
  );
}
