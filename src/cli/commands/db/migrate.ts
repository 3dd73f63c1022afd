import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';

/**
 * `db migrate`: brings a store of an older schema to this accessctl's (SPEC section 2: reads never
 * migrate; this verb or the first write does), and removes the one known leftover of the first
 * release. Opening the store for it does the work (store/sqlite/open-schema.ts), in one transaction; running it
 * again is harmless.
 */
export async function runDbMigrate(ctx: Ctx): Promise<Output> {
  const store = ctx.store();
  const opened = store.schema?.() ?? null;
  const version = opened?.version ?? Number(/version (\d+)/.exec((await store.checks()).find((c) => c.check === 'schema')?.detail ?? '')?.[1] ?? NaN);
  const records = [
    {
      check: 'schema',
      ok: true,
      detail: opened?.migratedFrom ? `migrated from schema ${opened.migratedFrom} to ${version}` : `already at schema ${version}`,
    },
    ...(opened?.repaired ?? []).map((what) => ({ check: 'repaired', ok: true, detail: what })),
  ];
  if (opened?.migratedFrom) ctx.note(`migrated store ${store.path} from schema ${opened.migratedFrom} to ${version}`);
  return { kind: 'dbCheck', records };
}
