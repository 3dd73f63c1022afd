import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FileProblem } from '../../src/domain/access-code/model.js';
import { computePlan } from '../../src/domain/access-code/plan.js';
import { targetOf, validateAccessFile } from '../../src/domain/access-code/validate-file.js';
import { ID_PREFIX } from '../../src/domain/ids.js';
import { emptyState } from '../../src/domain/state.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/access-as-code.schema.json', import.meta.url), 'utf8'));
const NOW = Date.parse('2026-11-22T23:00:00Z');
let n = 0;
const opts = (prune = false) => ({ prune, now: NOW, newId: (k: keyof typeof ID_PREFIX) => `${ID_PREFIX[k]}${String(++n).padStart(16, '0')}` });

/** Uses every property the schema names, so a key added to one side only fails here. */
const KITCHEN_SINK = {
  version: 1,
  settings: { 'key.defaultExpirationDays': 90 },
  users: [{ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', role: 'ADMIN', state: 'ACTIVE' }],
  resources: [{ name: 'db', address: 'db.internal', alias: 'db2.internal', tcp: 5432, udp: 'DENY_ALL', icmp: false, isActive: true }],
  groups: [
    {
      name: 'oncall',
      isActive: true,
      expiresAt: '2027-01-01T00:00:00Z',
      request: { approvers: 'admins', maxDuration: '4h', approvals: 2, pendingTtl: '1d', requireReason: true, breakGlass: false },
      members: ['ada@example.com', { email: 'bob@example.com', startsAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-02T00:00:00Z' }],
      resources: [{ name: 'db', expiresAt: '2026-12-01T00:00:00Z' }],
      services: [{ name: 'ci', expiresAt: null }],
    },
  ],
  services: [{ name: 'ci', description: 'CI', state: 'ACTIVE', resources: ['db'], groups: [{ name: 'oncall' }] }],
  tests: [
    { user: 'ada@example.com', can: ['db:5432/tcp'], cannot: ['db:22'], at: '2026-11-30T00:00:00Z' },
    { service: 'ci', can: ['db'] },
  ],
};

describe('the JSON Schema and the validator agree', () => {
  it('every schema property is accepted, and the sample uses every one of them', () => {
    expect(() => validateAccessFile(KITCHEN_SINK)).not.toThrow();
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(KITCHEN_SINK)).toEqual(keys(schema.properties));
    for (const kind of ['user', 'resource', 'group', 'service', 'test'] as const) {
      const samples = (KITCHEN_SINK as unknown as Record<string, object[]>)[`${kind}s`]!;
      expect([...new Set(samples.flatMap((o) => Object.keys(o)))].sort(), kind).toEqual(keys(schema.$defs[kind].properties));
    }
  });

  it('examples/access.yaml is a valid file', () => {
    const file = validateAccessFile(parse(readFileSync(new URL('../../examples/access.yaml', import.meta.url), 'utf8')));
    expect(file.groups.map((g) => g.name)).toEqual(['platform', 'oncall', 'contractors-q4']);
    expect(file.tests.length).toBeGreaterThan(5);
  });
});

describe('validation', () => {
  const problem = (doc: unknown) => {
    try {
      validateAccessFile(doc);
    } catch (err) {
      if (err instanceof FileProblem) return [err.path.join('.'), err.message];
      throw err;
    }
    return null;
  };
  it.each([
    [{ users: [{ email: 'a@example.com', id: 'usr_0000000000000001' }] }, 'users.0.id', 'unknown key "id"'],
    [{ groups: [{ name: 'g', members: [{ email: 'a@example.com', ttl: '2h' }] }] }, 'groups.0.members.0.ttl', 'unknown key "ttl"'],
    [{ groups: [{ name: 'g', expiresAt: '+7d' }] }, 'groups.0.expiresAt', 'relative time "+7d"'],
    [{ groups: [{ name: 'grp_0000000000000001' }] }, 'groups.0.name', 'an id where a group name belongs'],
    [{ users: [{ email: 'A@Example.com' }, { email: 'a@example.com' }] }, 'users.1', 'duplicate user email "a@example.com"'],
    [{ tests: [{ user: 'a@example.com', service: 'ci', can: ['db'] }] }, 'tests.0', 'a test names exactly one user or service'],
    [{ tests: [{ user: 'a@example.com', can: ['db:70000'] }] }, 'tests.0.can.0', 'port 70000 is out of range'],
    [{ settings: { 'no.such': 1 } }, 'settings.no.such', 'unknown setting "no.such"'],
    [{ users: 'ada' }, 'users', 'expected a list, got string "ada"'],
  ])('%j → %s: %s', (doc, path, message) => {
    expect(problem(doc)).toEqual([path, expect.stringContaining(message)]);
  });

  it('reads test targets', () => {
    expect(targetOf('db', [])).toEqual({ text: 'db', resource: 'db' });
    expect(targetOf('db:5432', [])).toEqual({ text: 'db:5432', resource: 'db', port: 5432, protocol: 'tcp' });
    expect(targetOf('dns:53/udp', [])).toEqual({ text: 'dns:53/udp', resource: 'dns', port: 53, protocol: 'udp' });
    expect(targetOf('gw:icmp', [])).toEqual({ text: 'gw:icmp', resource: 'gw', protocol: 'icmp' });
  });
});

describe('computePlan', () => {
  it('a group-service link declared on both sides with different expiry is an error', () => {
    const file = validateAccessFile({
      groups: [{ name: 'g', services: [{ name: 'ci', expiresAt: '2027-01-01T00:00:00Z' }] }],
      services: [{ name: 'ci', groups: ['g'] }],
    });
    expect(() => computePlan(emptyState(), file, opts())).toThrow(/declared twice with different expiry/);
  });

  it('plans creates against an empty state, and nothing for a link whose expiry is past', () => {
    const file = validateAccessFile({
      users: [{ email: 'a@example.com' }],
      resources: [{ name: 'db', address: 'db.internal' }],
      groups: [{ name: 'g', members: [{ email: 'a@example.com', expiresAt: '2026-01-01T00:00:00Z' }], resources: ['db'] }],
    });
    const plan = computePlan(emptyState(), file, opts());
    expect(plan.changes.map((c) => `${c.op} ${c.type} ${c.name}`)).toEqual(['+ user a@example.com', '+ resource db', '+ group g']);
    expect(plan.planned.groupUsers.size).toBe(0);
    expect(plan.planned.groupResources.size).toBe(1);
  });
});
