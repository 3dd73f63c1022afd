import { UsageError } from '../domain/errors.js';

export const FORMATS = ['table', 'csv', 'json', 'ndjson'] as const;
export type Format = (typeof FORMATS)[number];

/** Case-insensitive; `DF` (tgcli's DataFrame) means table. */
export function parseFormat(raw: string): Format {
  const lower = raw.trim().toLowerCase();
  if (lower === 'df') return 'table';
  const hit = FORMATS.find((f) => f === lower);
  if (!hit) throw new UsageError(`unknown format ${JSON.stringify(raw.slice(0, 40))}`, `use one of ${FORMATS.join(', ')} (or DF)`);
  return hit;
}
