import { UsageError } from '../../../domain/errors.js';
import type { Ctx } from '../../context.js';

/** At a terminal, `key create` without -i offers the services to pick from. */
export async function chooseService(ctx: Ctx): Promise<string> {
  if (!ctx.interactive()) throw new UsageError('missing service', 'pass -i SERVICE');
  const services = await ctx.store().db.selectFrom('services').select(['id', 'name', 'state']).orderBy('name_key').limit(200).execute();
  if (services.length === 0) throw new UsageError('there are no services yet', 'create one: accessctl service create -n NAME');
  return ctx.prompter.select(
    'Service for the new key',
    services.map((s) => ({ name: s.state === 'ACTIVE' ? s.name : `${s.name} (${s.state})`, value: s.id })),
  );
}

export async function chooseExpiration(ctx: Ctx): Promise<number | undefined> {
  if (!ctx.interactive()) return undefined;
  const days = await ctx.prompter.select('Key expiration', [
    { name: '30 days', value: '30' },
    { name: '90 days', value: '90' },
    { name: '365 days', value: '365' },
    { name: 'never', value: '0' },
  ]);
  return Number(days) * 86_400_000;
}
