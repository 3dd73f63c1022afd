import { describePolicy, parsePolicy } from '../request-policy.js';
import { formatTimestamp } from '../time.js';
import type { GroupsTable, LinkTable, ResourcesTable, ServicesTable, UsersTable } from '../rows.js';

type Doc = Record<string, unknown>;
export type ExportUser = Pick<UsersTable, 'id' | 'email' | 'email_key' | 'first_name' | 'last_name' | 'role' | 'state'>;
/** A link as export reads it: owner and member ids, its window. */
export interface ExportLink {
  owner: string;
  member: string;
  starts_at?: number | null | undefined;
  expires_at: LinkTable['expires_at'];
}
export type ExportLinkTable = 'group_users' | 'group_resources' | 'group_services' | 'service_resources';

/**
 * What export reads. The objects are held (a hundred thousand users is a few tens of MB); the
 * links, by far the most rows, are read a batch of owners at a time.
 */
export interface ExportSource {
  settings: Map<string, string>;
  users: ExportUser[];
  resources: ResourcesTable[];
  services: ServicesTable[];
  /** Every group, expired ones too: a request policy may name one as its approvers. */
  groups: GroupsTable[];
  links(table: ExportLinkTable, owners: readonly string[]): Promise<ExportLink[]>;
}

/** One piece of the document, in order: a top-level value, or the next items of a top-level list. */
export type ExportPiece = { key: string; value: unknown } | { key: string; items: Doc[]; first: boolean; last: boolean };

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const live = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;
/** Owners whose links are read at once: bounds what is held to their links. */
const BATCH = 100;

/**
 * The store as an access file: by name, sorted by name key, defaults left out, expired rows
 * (which grant nothing and await sweep) left out. Same state, same bytes: it diffs well in git.
 * Yielded piece by piece, so that the caller writes as it reads.
 */
export async function* exportPieces(src: ExportSource, now: number): AsyncGenerator<ExportPiece> {
  yield { key: 'version', value: 1 };
  const settings = [...src.settings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (settings.length > 0) yield { key: 'settings', value: Object.fromEntries(settings.map(([k, v]) => [k, /^[0-9]+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v])) };

  const users = [...src.users].sort(byKey((u) => u.email_key));
  yield* inBatches('users', users, async (batch) => batch.map((u) => compact({ email: u.email, firstName: u.first_name || undefined, lastName: u.last_name || undefined, role: u.role === 'MEMBER' ? undefined : u.role, state: u.state === 'ACTIVE' ? undefined : u.state })));

  const resources = [...src.resources].sort(byKey((r) => r.name_key));
  yield* inBatches('resources', resources, async (batch) =>
    batch.map((r) =>
      compact({
        name: r.name,
        address: r.address,
        alias: r.alias ?? undefined,
        tcp: r.tcp === 'ALLOW_ALL' ? undefined : r.tcp,
        udp: r.udp === 'ALLOW_ALL' ? undefined : r.udp,
        icmp: r.icmp === 1 ? undefined : false,
        isActive: r.is_active === 1 ? undefined : false,
      }),
    ),
  );

  const userById = new Map(users.map((u) => [u.id, u]));
  const resById = new Map(resources.map((r) => [r.id, r]));
  const svcById = new Map(src.services.map((s) => [s.id, s]));
  const user = { name: (id: string) => userById.get(id)!.email, key: (id: string) => userById.get(id)!.email_key, field: 'email' as const };
  const resource = { name: (id: string) => resById.get(id)!.name, key: (id: string) => resById.get(id)!.name_key, field: 'name' as const };
  const service = { name: (id: string) => svcById.get(id)!.name, key: (id: string) => svcById.get(id)!.name_key, field: 'name' as const };

  /** The live links of a batch of owners, by owner: each list sorted by its member's name key. */
  const linksOf = async (table: ExportLinkTable, owners: readonly string[], names: typeof user | typeof resource) => {
    const out = new Map<string, Array<{ k: string; v: unknown }>>();
    for (const l of await src.links(table, owners)) {
      if (!live(l.expires_at, now)) continue;
      // Only a user's membership has a start: written before its expiry, as a window reads.
      const startsAt = l.starts_at ?? null;
      const v = l.expires_at === null && startsAt === null ? names.name(l.member) : compact({ [names.field]: names.name(l.member), startsAt: formatTimestamp(startsAt) ?? undefined, expiresAt: formatTimestamp(l.expires_at) ?? undefined });
      const list = out.get(l.owner);
      if (list) list.push({ k: names.key(l.member), v });
      else out.set(l.owner, [{ k: names.key(l.member), v }]);
    }
    return (id: string) => {
      const list = (out.get(id) ?? []).sort(byKey((x) => x.k)).map((x) => x.v);
      return list.length === 0 ? undefined : list;
    };
  };

  const services = [...src.services].sort(byKey((x) => x.name_key));
  // A service's groups are written once, on the groups' side.
  yield* inBatches('services', services, async (batch) => {
    const serviceResources = await linksOf('service_resources', batch.map((x) => x.id), resource);
    return batch.map((x) => compact({ name: x.name, description: x.description || undefined, state: x.state === 'ACTIVE' ? undefined : x.state, resources: serviceResources(x.id) }));
  });

  // Every field of a policy is written, defaults too: what a group takes requests under reads whole.
  const groupName = new Map(src.groups.map((g) => [g.id, g.name]));
  const requestOf = (text: string | null) => {
    const p = parsePolicy(text);
    return p ? describePolicy(p, groupName.get(p.approvers) ?? p.approvers) : undefined;
  };
  const groups = src.groups.filter((g) => live(g.expires_at, now)).sort(byKey((g) => g.name_key));
  yield* inBatches('groups', groups, async (batch) => {
    const ids = batch.map((g) => g.id);
    const members = await linksOf('group_users', ids, user);
    const groupResources = await linksOf('group_resources', ids, resource);
    const groupServices = await linksOf('group_services', ids, service);
    return batch.map((g) =>
      compact({
        name: g.name,
        isActive: g.is_active === 1 ? undefined : false,
        expiresAt: formatTimestamp(g.expires_at) ?? undefined,
        request: requestOf(g.request_policy),
        members: members(g.id),
        resources: groupResources(g.id),
        services: groupServices(g.id),
      }),
    );
  });
}

async function* inBatches<T>(key: string, rows: readonly T[], items: (batch: readonly T[]) => Promise<Doc[]>): AsyncGenerator<ExportPiece> {
  if (rows.length === 0) {
    yield { key, value: [] };
    return;
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    yield { key, items: await items(rows.slice(i, i + BATCH)), first: i === 0, last: i + BATCH >= rows.length };
  }
}

function compact(o: Doc): Doc {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
