import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './spawn.js';

/**
 * schema.sql as schema versions 1 and 2 had it: their groups could not be SYNCED (schema 3 added
 * that). Tests that write a store "as an earlier release wrote it" start from this text.
 */
export function schemaVersion1(): string {
  const text = readFileSync(join(ROOT, 'schema.sql'), 'utf8');
  const now = "CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED'))";
  if (!text.includes(now)) throw new Error('schema.sql has no SYNCED group type to take out');
  return text.replace(now, "CHECK (type IN ('MANUAL', 'SYSTEM'))");
}
