import Database from 'better-sqlite3';
import { psql } from './pg-cluster.js';

const isPg = (store: string) => /^postgres(ql)?:\/\//.test(store);

const TABLES = [
  'users',
  'resources',
  'groups',
  'services',
  'group_users',
  'group_resources',
  'group_services',
  'service_resources',
  'service_keys',
  'exchange_tokens',
  'settings',
  'audit_events',
];

/** Every row of every table, in a stable order: equal dumps mean an unchanged store (a SQLite file or a PostgreSQL URL). */
export function logicalDump(file: string): string {
  if (isPg(file)) return psql(file, `select json_build_object(${TABLES.map((t) => `'${t}', (select coalesce(json_agg(t), '[]') from (select * from ${t} order by 1, 2) t)`).join(', ')})::text`);
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) out[t] = db.prepare(`select * from ${t} order by 1, 2`).all();
    return JSON.stringify(out);
  } finally {
    db.close();
  }
}

export function count(file: string, sql: string): number {
  if (isPg(file)) return Number(psql(file, sql));
  const db = new Database(file, { readonly: true });
  try {
    return Number(Object.values(db.prepare(sql).get() as Record<string, unknown>)[0]);
  } finally {
    db.close();
  }
}

export function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}
