import { sql } from 'kysely';
import { UsageError } from '../../../domain/errors.js';
import { grantStatements, quoteRole, storePlace, type GrantKind } from '../../../store/postgres/grants.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';

/**
 * `db grant --reader ROLE | --writer ROLE [--apply]` (SPEC section 11): prints the statements that
 * give a role what its kind needs and no more, or runs them as the connected role (the owner).
 */
export async function runDbGrant(ctx: Ctx, opts: { reader?: string; writer?: string; apply?: boolean }): Promise<Output> {
  if ((opts.reader === undefined) === (opts.writer === undefined)) {
    throw new UsageError('say which role and what for: --reader ROLE or --writer ROLE', 'for example accessctl db grant --reader accessctl_gate');
  }
  const kind: GrantKind = opts.reader !== undefined ? 'reader' : 'writer';
  const role = (opts.reader ?? opts.writer)!;
  quoteRole(role);
  const store = ctx.store();
  if (store.dialect !== 'postgres') {
    throw new UsageError('db grant is for PostgreSQL stores', 'a SQLite store is guarded by its file mode and owner; see README "Files and permissions"');
  }
  const place = await storePlace(store.db);
  const statements = grantStatements(kind, role, place);
  if (opts.apply) {
    const exists = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(store.db);
    if (exists.rows[0]?.n !== 1) throw new UsageError(`role ${JSON.stringify(role)} does not exist`, `CREATE ROLE ${quoteRole(role)} LOGIN first (a superuser or CREATEROLE does)`);
    await store.db.transaction().execute(async (trx) => {
      for (const statement of statements) await sql.raw(statement).execute(trx);
    });
  }
  const header = opts.apply ? `-- applied to ${store.path}` : `-- ${kind} grants for ${store.path}; run as the owner (${place.owner}), or add --apply`;
  await ctx.io.stdout.write(`${[header, ...statements].join('\n')}\n`);
  return { kind: 'dbCheck', records: [], format: 'ndjson' };
}
