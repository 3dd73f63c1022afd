import { formatTimestamp as iso } from '../domain/time.js';
import type { OutputRecord } from '../output/fields.js';
import type { ResourcesTable, UsersTable } from '../store/tables.js';

/** Store rows → the objects of SPEC section 3, with ISO-8601 UTC times. */
export function userRecord(row: UsersTable): OutputRecord {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    state: row.state,
    type: row.type,
    login: row.login ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function resourceRecord(row: ResourcesTable): OutputRecord {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    alias: row.alias,
    tcp: row.tcp,
    udp: row.udp,
    icmp: row.icmp === 1,
    isActive: row.is_active === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function* mapStream<T>(rows: AsyncIterable<T>, map: (row: T) => OutputRecord): AsyncIterable<OutputRecord> {
  for await (const row of rows) yield map(row);
}
