import { describePolicy, parsePolicy } from '../request-policy.js';
import type { State } from '../state.js';
import { formatTimestamp } from '../time.js';
import type { LinkTable } from '../rows.js';
import { liveView } from './live-view.js';

type Doc = Record<string, unknown>;

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The store as an access file: by name, sorted by name key, defaults left out, expired rows
 * (which grant nothing and await sweep) left out. Same state, same bytes: it diffs well in git.
 */
export function exportDocument(raw: State, now: number): Doc {
  const s = liveView(raw, now);
  const doc: Doc = { version: 1 };
  const settings = [...s.settings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (settings.length > 0) doc.settings = Object.fromEntries(settings.map(([k, v]) => [k, /^[0-9]+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v]));

  const users = [...s.users.values()].sort(byKey((u) => u.email_key));
  doc.users = users.map((u) => compact({ email: u.email, firstName: u.first_name || undefined, lastName: u.last_name || undefined, role: u.role === 'MEMBER' ? undefined : u.role, state: u.state === 'ACTIVE' ? undefined : u.state }));

  const resources = [...s.resources.values()].sort(byKey((r) => r.name_key));
  doc.resources = resources.map((r) =>
    compact({
      name: r.name,
      address: r.address,
      alias: r.alias ?? undefined,
      tcp: r.tcp === 'ALLOW_ALL' ? undefined : r.tcp,
      udp: r.udp === 'ALLOW_ALL' ? undefined : r.udp,
      icmp: r.icmp === 1 ? undefined : false,
      isActive: r.is_active === 1 ? undefined : false,
    }),
  );

  const userName = (id: string) => s.users.get(id)!.email;
  const userKey = (id: string) => s.users.get(id)!.email_key;
  const resName = (id: string) => s.resources.get(id)!.name;
  const resKey = (id: string) => s.resources.get(id)!.name_key;
  const svcName = (id: string) => s.services.get(id)!.name;
  const svcKey = (id: string) => s.services.get(id)!.name_key;
  const grpName = (id: string) => s.groups.get(id)!.name;

  const links = <L extends LinkTable>(rows: Map<string, L>, owner: (l: L) => string, member: (l: L) => string, name: (id: string) => string, key: (id: string) => string, field: 'email' | 'name') => {
    const out = new Map<string, Array<{ k: string; v: unknown }>>();
    for (const l of rows.values()) {
      // Only a user's membership has a start: written before its expiry, as a window reads.
      const startsAt = (l as { starts_at?: number | null }).starts_at ?? null;
      const v = l.expires_at === null && startsAt === null ? name(member(l)) : compact({ [field]: name(member(l)), startsAt: formatTimestamp(startsAt) ?? undefined, expiresAt: formatTimestamp(l.expires_at) ?? undefined });
      const list = out.get(owner(l)) ?? [];
      list.push({ k: key(member(l)), v });
      out.set(owner(l), list);
    }
    return (id: string) => {
      const list = (out.get(id) ?? []).sort(byKey((x) => x.k)).map((x) => x.v);
      return list.length === 0 ? undefined : list;
    };
  };
  const members = links(s.groupUsers, (l) => l.group_id, (l) => l.user_id, userName, userKey, 'email');
  const groupResources = links(s.groupResources, (l) => l.group_id, (l) => l.resource_id, resName, resKey, 'name');
  const groupServices = links(s.groupServices, (l) => l.group_id, (l) => l.service_id, svcName, svcKey, 'name');
  const serviceResources = links(s.serviceResources, (l) => l.service_id, (l) => l.resource_id, resName, resKey, 'name');

  const services = [...s.services.values()].sort(byKey((x) => x.name_key));
  // A service's groups are written once, on the groups' side.
  doc.services = services.map((x) => compact({ name: x.name, description: x.description || undefined, state: x.state === 'ACTIVE' ? undefined : x.state, resources: serviceResources(x.id) }));

  // Every field of a policy is written, defaults too: what a group takes requests under reads whole.
  const requestOf = (text: string | null) => {
    const p = parsePolicy(text);
    return p ? describePolicy(p, raw.groups.get(p.approvers)?.name ?? p.approvers) : undefined;
  };
  const groups = [...s.groups.values()].sort(byKey((g) => g.name_key));
  doc.groups = groups.map((g) =>
    compact({
      name: grpName(g.id),
      isActive: g.is_active === 1 ? undefined : false,
      expiresAt: formatTimestamp(g.expires_at) ?? undefined,
      request: requestOf(g.request_policy),
      members: members(g.id),
      resources: groupResources(g.id),
      services: groupServices(g.id),
    }),
  );
  return doc;
}

function compact(o: Doc): Doc {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
