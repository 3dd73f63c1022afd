import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { nativeBinding } from './native-addon.js';
import { shippedRows } from './schema-digest.js';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** schema.sql, and the objects it creates: what every store is compared with. */
export const schemaSource = {
  text: schemaText,
  rows: () => shippedRows(schemaText, (file) => new BetterSqlite3(file, nativeBinding())),
};

function schemaText(): string {
  for (const rel of ['../schema.sql', '../../../schema.sql']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return readFileSync(url, 'utf8');
  }
  throw new Error('schema.sql not found beside the accessctl package');
}
