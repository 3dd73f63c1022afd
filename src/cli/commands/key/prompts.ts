import { UsageError } from '../../../domain/errors.js';
import { effectiveSettings } from '../../../domain/settings.js';
import { readSettings } from '../../../store/settings.js';
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

/** The expiry picker starts on the configured default (key.defaultExpirationDays), which it names. */
export async function chooseExpiration(ctx: Ctx): Promise<number | undefined> {
  if (!ctx.interactive()) return undefined;
  const configured = String(effectiveSettings(await readSettings(ctx.store().db)).keyDefaultExpirationDays);
  const choices = ['30', '90', '365', '0'].includes(configured) ? ['30', '90', '365', '0'] : [configured, '30', '90', '365', '0'];
  const label = (d: string) => `${d === '0' ? 'never' : `${d} days`}${d === configured ? ' (the default)' : ''}`;
  const days = await ctx.prompter.select(
    'Key expiration',
    choices.map((d) => ({ name: label(d), value: d })),
    configured,
  );
  return Number(days) * 86_400_000;
}
