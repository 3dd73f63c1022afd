import type { Kysely } from 'kysely';
/**
 * Tables of schema.sql, as Kysely sees them: the domain's rows (domain/rows.ts), re-exported for
 * the repositories, and the store's own (settings, the audit log).
 */
import type {
  UsersTable,
  ResourcesTable,
  GroupsTable,
  ServicesTable,
  GroupUsersTable,
  GroupResourcesTable,
  GroupServicesTable,
  ServiceResourcesTable,
  ServiceKeysTable,
  ExchangeTokensTable,
  RequestsTable,
  ReviewsTable,
  ReviewItemsTable,
} from '../domain/rows.js';

export type {
  UsersTable,
  ResourcesTable,
  GroupsTable,
  ServicesTable,
  LinkTable,
  GroupUsersTable,
  GroupResourcesTable,
  GroupServicesTable,
  ServiceResourcesTable,
  ServiceKeysTable,
  ExchangeTokensTable,
  RequestsTable,
  ReviewsTable,
  ReviewItemsTable,
} from '../domain/rows.js';

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  details: string;
  hash: string;
}

export interface Database {
  users: UsersTable;
  resources: ResourcesTable;
  groups: GroupsTable;
  services: ServicesTable;
  group_users: GroupUsersTable;
  group_resources: GroupResourcesTable;
  group_services: GroupServicesTable;
  service_resources: ServiceResourcesTable;
  service_keys: ServiceKeysTable;
  exchange_tokens: ExchangeTokensTable;
  requests: RequestsTable;
  reviews: ReviewsTable;
  review_items: ReviewItemsTable;
  settings: SettingsTable;
  audit_events: AuditEventsTable;
}

/** The store as Kysely sees it, on either dialect: what repositories take. */
export type Db = Kysely<Database>;
