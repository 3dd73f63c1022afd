import type { RequestPolicy } from '../request-policy.js';

/**
 * An access-as-code file after validation (SPEC section 12): every object by name, every time
 * absolute, every value already in the store's canonical form. `path` is where the thing was
 * written (`groups[3].members[0]`), so later checks can point at the file.
 */
export interface DeclaredLink {
  /** The name (email for users) as written. */
  ref: string;
  /** A user's membership only: it grants from this moment (SPEC section 15); null: at once. */
  startsAt: number | null;
  expiresAt: number | null;
  path: string[];
}

/** A group's `request:` (SPEC section 15): the policy, its approvers group still by name. */
export interface DeclaredRequestPolicy {
  approvers: string;
  /** Validated and filled with the defaults; `approvers` is resolved to an id by the plan. */
  policy: RequestPolicy;
  path: string[];
}

export interface DeclaredUser {
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  state: string;
  path: string[];
}

export interface DeclaredResource {
  name: string;
  address: string;
  alias: string | null;
  tcp: string;
  udp: string;
  icmp: boolean;
  isActive: boolean;
  path: string[];
}

export interface DeclaredGroup {
  name: string;
  isActive: boolean;
  expiresAt: number | null;
  /** Null: not requestable (a declared group is authoritative, so a policy it leaves out goes). */
  request: DeclaredRequestPolicy | null;
  members: DeclaredLink[];
  resources: DeclaredLink[];
  services: DeclaredLink[];
  path: string[];
}

export interface DeclaredService {
  name: string;
  description: string;
  state: string;
  resources: DeclaredLink[];
  groups: DeclaredLink[];
  path: string[];
}

export interface TestTarget {
  text: string;
  resource: string;
  protocol?: 'tcp' | 'udp' | 'icmp';
  port?: number;
}

export interface DeclaredTest {
  subjectKind: 'user' | 'service';
  subject: string;
  can: TestTarget[];
  cannot: TestTarget[];
  at: number | null;
  path: string[];
}

export interface AccessFile {
  users: DeclaredUser[];
  resources: DeclaredResource[];
  groups: DeclaredGroup[];
  services: DeclaredService[];
  settings: Array<{ key: string; value: string; path: string[] }>;
  tests: DeclaredTest[];
}

/** `groups[3].members[0].ttl` */
export function pathText(path: readonly string[]): string {
  let out = '';
  for (const p of path) out += /^[0-9]+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(top level)';
}

/** A problem in the file: where, and what. The command turns it into `FILE:LINE: path: message`. */
export class FileProblem extends Error {
  constructor(
    readonly path: string[],
    message: string,
    readonly hint?: string,
    /** Point at the key itself (an unknown key) rather than its value. */
    readonly atKey = false,
  ) {
    super(message);
    this.name = 'FileProblem';
  }
}
