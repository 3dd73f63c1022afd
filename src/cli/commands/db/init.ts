import { existsSync } from 'node:fs';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { runConfigSet } from '../config/run.js';

/**
 * `db init`: the one verb whose whole job is to create the store (reads never do). Running it
 * again is harmless. `--allow-clock-override` is `config set clock.allowOverride true`, audited
 * the same way and refused the same way under an override. On PostgreSQL it gives an empty
 * database the schema.
 */
export async function runDbInit(ctx: Ctx, allowClockOverride: boolean): Promise<Output> {
  const { path, url } = ctx.globals().location;
  if (url !== undefined) {
    const created = await ctx.store().init();
    if (allowClockOverride) await runConfigSet('clock.allowOverride', 'true', ctx);
    if (created) ctx.note(`created store ${path}`);
    return { kind: 'dbPath', records: [{ path, exists: true }] };
  }
  const existed = existsSync(path);
  if (allowClockOverride) await runConfigSet('clock.allowOverride', 'true', ctx);
  else ctx.store();
  if (!existed) ctx.note(`created store ${path}`);
  return { kind: 'dbPath', records: [{ path, exists: true }] };
}
