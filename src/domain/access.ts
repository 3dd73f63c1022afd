import { formatTimestamp } from './time.js';
import { portAllowed, type PortRule, type Protocol } from './ports.js';

/**
 * The access rule (SPEC section 4), in one place. The store only gathers candidate paths; every
 * decision about state and expiry is made here, at read time, so an expired grant gives nothing
 * whether or not `sweep` has run.
 */
export interface Subject {
  kind: 'user' | 'service';
  id: string;
  name: string;
  state: 'ACTIVE' | 'DISABLED';
}

export interface ResourceFacts {
  id: string;
  name: string;
  address: string;
  isActive: boolean;
  tcp: PortRule;
  udp: PortRule;
  icmp: boolean;
}

/** One way a subject might reach a resource, with every expiry along it. */
export type CandidatePath =
  | {
      via: 'group';
      groupId: string;
      groupName: string;
      groupActive: boolean;
      groupExpiresAt: number | null;
      /** A user's membership approved for later (SPEC section 15): it grants nothing before this. */
      memberStartsAt: number | null;
      memberExpiresAt: number | null;
      assignmentExpiresAt: number | null;
    }
  | { via: 'direct'; assignmentExpiresAt: number | null };

export interface GrantPath {
  via: 'group' | 'direct';
  groupId: string | null;
  groupName: string | null;
  /** When this path stops granting: the earliest expiry along it (null = never). */
  expiresAt: number | null;
  /** Which link of the path ends first: group, membership or assignment. */
  limitedBy: 'group' | 'membership' | 'assignment' | null;
}

export interface AccessRequest {
  protocol?: Protocol;
  port?: number;
}

export interface Decision {
  allowed: boolean;
  /** The paths that grant access now (empty when denied). */
  paths: GrantPath[];
  /** Why access is denied, in words an operator can act on. */
  reason: string | null;
}

function pathOf(c: CandidatePath): GrantPath {
  const links: Array<[GrantPath['limitedBy'], number | null]> =
    c.via === 'group'
      ? [
          ['group', c.groupExpiresAt],
          ['membership', c.memberExpiresAt],
          ['assignment', c.assignmentExpiresAt],
        ]
      : [['assignment', c.assignmentExpiresAt]];
  let expiresAt: number | null = null;
  let limitedBy: GrantPath['limitedBy'] = null;
  for (const [link, stored] of links) {
    // A cell that is not a time (text put there by hand) fails closed: expired since 1970. Text
    // compared with a number is false both ways, so it would otherwise be passed over.
    const at = stored === null ? null : Number.isSafeInteger(stored) ? stored : 0;
    if (at !== null && (expiresAt === null || at < expiresAt)) {
      expiresAt = at;
      limitedBy = link;
    }
  }
  return {
    via: c.via,
    groupId: c.via === 'group' ? c.groupId : null,
    groupName: c.via === 'group' ? c.groupName : null,
    expiresAt,
    limitedBy,
  };
}

const isLive = (expiresAt: number | null, now: number) => expiresAt === null || now < expiresAt;
/** A membership that has not started yet grants nothing: a started, unexpired one does. */
export const hasStarted = (startsAt: number | null, now: number) => startsAt === null || startsAt <= now;

export function evaluateAccess(
  subject: Subject,
  resource: ResourceFacts,
  candidates: readonly CandidatePath[],
  now: number,
  request: AccessRequest = {},
): Decision {
  const deny = (reason: string): Decision => ({ allowed: false, paths: [], reason });
  if (subject.state !== 'ACTIVE') return deny(`${subject.kind} ${subject.name} is ${subject.state}`);
  if (!resource.isActive) return deny(`resource ${resource.name} is inactive`);

  const live: GrantPath[] = [];
  let lastExpiry: number | null = null;
  let inactiveGroup: string | null = null;
  let notStarted: { group: string; at: number } | null = null;
  for (const c of candidates) {
    if (c.via === 'group' && !c.groupActive) {
      inactiveGroup ??= c.groupName;
      continue;
    }
    const path = pathOf(c);
    if (c.via === 'group' && !hasStarted(c.memberStartsAt, now)) {
      // Not yet: unless the path will have expired by the time it starts, say when it starts.
      if (isLive(path.expiresAt, c.memberStartsAt!) && (notStarted === null || c.memberStartsAt! < notStarted.at)) notStarted = { group: c.groupName, at: c.memberStartsAt! };
      continue;
    }
    if (isLive(path.expiresAt, now)) live.push(path);
    else if (lastExpiry === null || path.expiresAt! > lastExpiry) lastExpiry = path.expiresAt;
  }
  if (live.length === 0) {
    if (notStarted !== null) return deny(`the membership in group ${notStarted.group} starts at ${formatTimestamp(notStarted.at)}`);
    if (lastExpiry !== null) return deny(`grant expired at ${formatTimestamp(lastExpiry)}`);
    if (inactiveGroup !== null) return deny(`the only granting group, ${inactiveGroup}, is inactive`);
    return deny(`no grant: ${subject.kind} ${subject.name} has no path to resource ${resource.name}`);
  }

  if (request.protocol !== undefined) {
    const blocked = protocolBlock(resource, request);
    if (blocked) return deny(blocked);
  }
  // Longest-lasting path first: it is the one that answers "until when?".
  live.sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity)).reverse();
  return { allowed: true, paths: live, reason: null };
}

function protocolBlock(resource: ResourceFacts, request: AccessRequest): string | null {
  const { protocol, port } = request;
  if (protocol === 'icmp') return resource.icmp ? null : `icmp is not allowed on resource ${resource.name}`;
  const rule = protocol === 'udp' ? resource.udp : resource.tcp;
  if (rule === 'DENY_ALL') return `${protocol} is not allowed on resource ${resource.name}`;
  if (port !== undefined && !portAllowed(rule, port)) {
    return `${protocol} port ${port} is not allowed on resource ${resource.name} (allowed: ${rule})`;
  }
  return null;
}

/** When the subject's access through these paths ends: null = never, as long as any path lasts. */
export function accessUntil(paths: readonly GrantPath[]): number | null {
  if (paths.some((p) => p.expiresAt === null)) return null;
  return Math.max(...paths.map((p) => p.expiresAt!));
}
