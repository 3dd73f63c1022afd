import { UsageError } from '../errors.js';
import { clip } from '../time.js';

/**
 * Identity providers' user exports (SPEC section 14): which of their columns feed which user
 * field, and how their account states read as ours. docs/directory-sync.md carries these tables.
 */

/** The user fields a column can feed. `login` stands in for `email` on rows whose email is empty. */
export const USER_FIELDS = ['email', 'login', 'firstName', 'lastName', 'role', 'state'] as const;
export type UserField = (typeof USER_FIELDS)[number];

export const PROVIDERS = ['okta', 'entra', 'google'] as const;
export type Provider = (typeof PROVIDERS)[number];

interface Preset {
  /** Header, lower-cased, to field. */
  columns: Record<string, UserField>;
  /** Provider state, upper-cased, to ours. */
  states: Record<string, 'ACTIVE' | 'DISABLED'>;
}

export const PRESETS: Record<Provider, Preset> = {
  okta: {
    columns: {
      login: 'login',
      username: 'login',
      email: 'email',
      'primary email': 'email',
      firstname: 'firstName',
      'first name': 'firstName',
      lastname: 'lastName',
      'last name': 'lastName',
      status: 'state',
    },
    states: {
      ACTIVE: 'ACTIVE',
      PROVISIONED: 'ACTIVE',
      STAGED: 'ACTIVE',
      RECOVERY: 'ACTIVE',
      LOCKED_OUT: 'ACTIVE',
      PASSWORD_EXPIRED: 'ACTIVE',
      SUSPENDED: 'DISABLED',
      DEPROVISIONED: 'DISABLED',
      // The Admin Console's words for the same states, as its reports spell them.
      PENDING_USER_ACTION: 'ACTIVE',
      PASSWORD_RESET: 'ACTIVE',
      DEACTIVATED: 'DISABLED',
    },
  },
  entra: {
    columns: { userprincipalname: 'login', mail: 'email', givenname: 'firstName', surname: 'lastName', accountenabled: 'state' },
    states: { TRUE: 'ACTIVE', FALSE: 'DISABLED' },
  },
  google: {
    columns: {
      'email address [required]': 'email',
      'first name [required]': 'firstName',
      'last name [required]': 'lastName',
      'status [read only]': 'state',
    },
    // An archived user (a former employee kept for their data) cannot sign in.
    states: { ACTIVE: 'ACTIVE', SUSPENDED: 'DISABLED', ARCHIVED: 'DISABLED' },
  },
};

/** accessctl's own states: the only ones a `--map` without a preset reads. */
const OWN_STATES: Record<string, 'ACTIVE' | 'DISABLED'> = { ACTIVE: 'ACTIVE', DISABLED: 'DISABLED' };

export function parseProvider(raw: string): Provider {
  const p = PROVIDERS.find((x) => x === raw.trim().toLowerCase());
  if (!p) throw new UsageError(`unknown provider ${JSON.stringify(clip(raw))}`, `use one of ${PROVIDERS.join(', ')}`);
  return p;
}

/** `--map "Work Email=email,Given=firstName"`: header (lower-cased) to field. */
export function parseColumnMap<F extends string = UserField>(raw: string, fields: readonly F[] = USER_FIELDS as unknown as readonly F[]): Record<string, F> {
  const out: Record<string, F> = {};
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.lastIndexOf('=');
    const column = eq < 0 ? '' : part.slice(0, eq).trim();
    const field = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (column === '' || field === '') throw new UsageError(`invalid --map entry ${JSON.stringify(clip(part))}`, `write COLUMN=field, with field one of ${fields.join(', ')}`);
    const hit = fields.find((f) => f.toLowerCase() === field.toLowerCase());
    if (!hit) throw new UsageError(`invalid --map field ${JSON.stringify(clip(field))}`, `use one of ${fields.join(', ')}`);
    out[column.toLowerCase()] = hit;
  }
  if (Object.keys(out).length === 0) throw new UsageError('--map names no column', `for example --map "${fields.includes('firstName' as F) ? 'Work Email=email,Given name=firstName' : 'Group Name=group,Member Email=email'}"`);
  return out;
}

/** How a file's columns are read: a preset, a map over it, or neither (accessctl's own layout). */
export interface UserLayout {
  provider?: Provider | undefined;
  map?: Record<string, UserField> | undefined;
}

export const isExternal = (layout: UserLayout): boolean => layout.provider !== undefined || layout.map !== undefined;

export interface ResolvedHeader {
  /** The field each column feeds, or null for a column ignored. */
  fields: Array<UserField | null>;
  /** The headers ignored, as spelled in the file. */
  ignored: string[];
}

/**
 * Reads a header row. With a preset or map, columns it does not name are ignored (reported once
 * by the caller); without, every unknown column is refused, all of them named at once. A map
 * entry wins over the preset for its column, and takes the field away from the preset's columns.
 */
export function resolveHeader(header: readonly string[], layout: UserLayout, ownColumns: readonly UserField[]): ResolvedHeader {
  const external = isExternal(layout);
  const map = layout.map ?? {};
  const mapped = new Set(Object.values(map));
  const preset = layout.provider ? PRESETS[layout.provider].columns : {};
  const own: Record<string, UserField> = Object.fromEntries(ownColumns.map((c) => [c.toLowerCase(), c]));
  const fields: Array<UserField | null> = [];
  const ignored: string[] = [];
  const seen = new Map<UserField, string>();
  for (const raw of header) {
    const h = raw.trim();
    const key = h.toLowerCase();
    let field: UserField | undefined;
    if (map[key] !== undefined) field = map[key];
    else if (preset[key] !== undefined && !mapped.has(preset[key])) field = preset[key];
    else if (!external) field = own[key];
    if (field !== undefined && seen.has(field)) {
      throw new UsageError(`CSV columns ${JSON.stringify(seen.get(field))} and ${JSON.stringify(clip(h))} both give ${field}`, 'keep one, or map one of them with --map');
    }
    if (field === undefined) ignored.push(h);
    else seen.set(field, h);
    fields.push(field ?? null);
  }
  // A --map entry for a column the file does not have is a typo, not a column to ignore: the
  // preset's own column for that field was given up for it.
  const present = new Set(header.map((h) => h.trim().toLowerCase()));
  const absent = Object.keys(map).filter((k) => !present.has(k));
  if (absent.length > 0) {
    throw new UsageError(`--map names ${absent.length === 1 ? 'a column' : 'columns'} the file does not have: ${absent.map((k) => JSON.stringify(clip(k))).join(', ')}`, 'check the spelling against the header line (matched without regard to case)');
  }
  if (!external && ignored.length > 0) {
    throw unknownColumns(ignored, `columns: ${ownColumns.join(', ')}; for a provider's export use --from ${PROVIDERS.join('|')} or --map`);
  }
  if (!seen.has('email') && !seen.has('login')) {
    const hint = layout.provider ? `${layout.provider} exports name it ${emailHeaders(layout.provider)}` : 'map one with --map "COLUMN=email"';
    throw new UsageError('the CSV has no email column', hint);
  }
  // A provider's export always says who is suspended: without that column (a renamed or dropped
  // header) every suspended person would be read as ACTIVE, and a sync would let them back in.
  if (layout.provider && !seen.has('state')) {
    const names = Object.entries(PRESETS[layout.provider].columns)
      .filter(([, f]) => f === 'state')
      .map(([h]) => JSON.stringify(h));
    throw new UsageError(`the ${layout.provider} export has no state column (${names.join(' or ')})`, 'export it with the column, or name it with --map "COLUMN=state"');
  }
  return { fields, ignored };
}

/** Every unknown column of a header, named at once. */
export function unknownColumns(headers: readonly string[], hint: string): UsageError {
  const named = headers.map((h) => JSON.stringify(h.trim().slice(0, 40)));
  const list = named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}`;
  return new UsageError(`unknown CSV column ${list}`, hint);
}

function emailHeaders(provider: Provider): string {
  return Object.entries(PRESETS[provider].columns)
    .filter(([, f]) => f === 'email' || f === 'login')
    .map(([h]) => JSON.stringify(h))
    .join(' or ');
}

/** A provider's state, as ours; an unknown one is an error for its line. */
export function mapState(raw: string, layout: UserLayout): 'ACTIVE' | 'DISABLED' {
  const table = layout.provider ? PRESETS[layout.provider].states : OWN_STATES;
  // "Locked out", "Password Expired": the console's spelling of LOCKED_OUT, PASSWORD_EXPIRED.
  const hit = table[raw.trim().toUpperCase().replace(/[\s-]+/g, '_')];
  if (hit === undefined) {
    const known = [...new Set(Object.keys(table))].join(', ');
    throw new UsageError(`unknown state ${JSON.stringify(clip(raw))}`, `${layout.provider ?? 'accessctl'} states: ${known}`);
  }
  return hit;
}
