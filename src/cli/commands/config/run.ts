import { settingSet } from '../../../domain/audit-events.js';
import { formatTimestamp } from '../../../domain/time.js';
import { parseSettingName, SETTING_NAMES, SETTINGS, validateSettings } from '../../../domain/settings.js';
import { UsageError } from '../../../domain/errors.js';
import { mutate } from '../../../store/mutate.js';
import { readSettings, writeSetting } from '../../../store/settings.js';
import type { OutputRecord } from '../../../output/fields.js';
import type { Ctx } from '../../context.js';
import type { Output } from '../../emit.js';
import { meta } from '../shared.js';

async function settingRecords(ctx: Ctx, names: readonly string[]): Promise<OutputRecord[]> {
  const stored = await readSettings(ctx.store().db);
  return names.map((name) => {
    const s = stored.get(name);
    return { key: name, value: s?.value ?? SETTINGS[name as keyof typeof SETTINGS].default, default: SETTINGS[name as keyof typeof SETTINGS].default, updatedAt: formatTimestamp(s?.updatedAt ?? null) };
  });
}

export async function runConfigList(ctx: Ctx): Promise<Output> {
  return { kind: 'setting', records: await settingRecords(ctx, SETTING_NAMES) };
}

export async function runConfigGet(name: string, ctx: Ctx): Promise<Output> {
  return { kind: 'setting', records: await settingRecords(ctx, [parseSettingName(name)]) };
}

export async function runConfigSet(name: string, raw: string, ctx: Ctx): Promise<Output> {
  const key = parseSettingName(name);
  const value = SETTINGS[key].parse(raw);
  if (key === 'clock.allowOverride' && ctx.clock.overridden) {
    // Whether a store lets the clock move is decided with the real clock, never by the override itself.
    throw new UsageError('clock.allowOverride cannot be changed while the clock is overridden (ACCESSCTL_NOW)', 'unset ACCESSCTL_NOW and run it again');
  }
  await mutate(ctx.store().db, meta(ctx), async (tx) => {
    const stored = await readSettings(tx.db);
    const before = stored.get(key)?.value ?? SETTINGS[key].default;
    validateSettings(new Map([...stored, [key, { value, updatedAt: tx.now }]]));
    if (before === value) return;
    await writeSetting(tx.db, key, value, tx.now);
    const was = stored.get(key);
    tx.audit(settingSet(was === undefined ? null : { key, value: was.value, updated_at: was.updatedAt }, { key, value, updated_at: tx.now }));
  });
  return { kind: 'setting', records: await settingRecords(ctx, [key]) };
}
