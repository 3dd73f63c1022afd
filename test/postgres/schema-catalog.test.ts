import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pgSchemaRows } from '../../src/store/postgres/schema-digest.js';
import { PG_SCHEMA_CATALOG } from '../../src/store/postgres/schema-catalog.js';
import { PG_LATEST_VERSION } from '../../src/store/postgres/schema.js';
import { harness } from '../helpers/harness.js';
import { createDatabase, dropDatabase } from '../helpers/pg-cluster.js';

const dbs: string[] = [];
afterAll(() => dbs.forEach(dropDatabase));

async function catalogOf(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const schema = (await client.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    return await pgSchemaRows(async (sql) => (await client.query(sql)).rows, schema);
  } finally {
    await client.end();
  }
}

describe('the shipped PostgreSQL catalog (schema-catalog.ts) is what schema.pg.sql creates', () => {
  it('a store fresh from db init has exactly those catalog objects', async () => {
    const url = createDatabase(inject('pgUrl'));
    dbs.push(url);
    const h = harness({ allowClockOverride: false });
    try {
      const r = await h.run(['--db', url, 'db', 'init'], { wallClock: true });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      h.cleanup();
    }
    const rows = await catalogOf(url);
    if (process.env.ACCESSCTL_WRITE_PG_CATALOG === '1') {
      const file = new URL('../../src/store/postgres/schema-catalog.ts', import.meta.url);
      const body = rows.map((r) => `    ${JSON.stringify(r)},`).join('\n');
      writeFileSync(
        file,
        `import type { SchemaRow } from '../schema-compare.js';
import { PG_FROZEN_CATALOGS } from './schema-catalog-frozen.js';

/**
 * What schema.pg.sql creates, as src/store/postgres/schema-digest.ts reads it from the catalog.
 * Generated: ACCESSCTL_WRITE_PG_CATALOG=1 npx vitest run --project postgres test/postgres/schema-catalog.test.ts
 * (that test fails whenever schema.pg.sql and this file disagree).
 */
export const PG_SCHEMA_CATALOG: Record<number, readonly SchemaRow[]> = {
  ...PG_FROZEN_CATALOGS,
  ${PG_LATEST_VERSION}: [
${body}
  ],
};
`,
      );
    }
    expect(rows, 'regenerate src/store/postgres/schema-catalog.ts: see its comment').toEqual(PG_SCHEMA_CATALOG[PG_LATEST_VERSION]);
  });
});
