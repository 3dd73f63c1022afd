import { describe, expect, it } from 'vitest';
import { DEFAULT_COLUMNS, FIELDS } from '../../src/output/fields.js';
import { parseFormat } from '../../src/output/format.js';
import { VERSION } from '../../src/cli/version.js';
import { readFileSync } from 'node:fs';

describe('field lists (a rename must be deliberate)', () => {
  it('pins the SPEC section 3 objects', () => {
    expect(FIELDS.user).toEqual(['id', 'email', 'firstName', 'lastName', 'role', 'state', 'type', 'login', 'createdAt', 'updatedAt']);
    expect(FIELDS.resource).toEqual(['id', 'name', 'address', 'alias', 'tcp', 'udp', 'icmp', 'isActive', 'createdAt', 'updatedAt']);
    expect(FIELDS.group).toEqual(['id', 'name', 'type', 'isActive', 'expiresAt', 'users', 'resources', 'services', 'requestPolicy', 'createdAt', 'updatedAt']);
    expect(FIELDS.service).toEqual(['id', 'name', 'description', 'state', 'resources', 'groups', 'keys', 'activeKeys', 'revokedKeys', 'expiredKeys', 'createdAt', 'updatedAt']);
    expect(FIELDS.key).toEqual(['id', 'serviceId', 'serviceName', 'name', 'status', 'hint', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt']);
    expect(FIELDS.audit).toEqual(['seq', 'id', 'at', 'actor', 'action', 'targetType', 'targetId', 'details', 'hash']);
  });
  it('pins the access request (SPEC section 15)', () => {
    expect(FIELDS.request).toEqual([
      'id', 'groupId', 'groupName', 'userId', 'userEmail', 'requestedBy', 'duration', 'reason', 'ticket', 'breakGlass', 'state', 'requestedStart',
      'pendingUntil', 'approvalsNeeded', 'approvals', 'startsAt', 'expiresAt', 'decidedBy', 'decidedAt', 'decisionReason', 'reviewedBy', 'reviewedAt',
      'reviewReason', 'createdAt', 'updatedAt',
    ]);
  });
  it('pins the access-as-code records (plan lines and test results)', () => {
    expect(FIELDS.planLine).toEqual(['section', 'op', 'type', 'name', 'field', 'item', 'from', 'to', 'via', 'until', 'detail']);
    expect(FIELDS.testResult).toEqual(['result', 'subjectType', 'subject', 'expect', 'target', 'at', 'detail']);
  });
  it('pins the records of sweep and key report', () => {
    expect(FIELDS.sweep).toEqual(['what', 'id', 'name', 'groupId', 'serviceId', 'keyId', 'memberType', 'memberId', 'expiredAt']);
    expect(FIELDS.keyReport).toEqual(['id', 'serviceId', 'serviceName', 'name', 'status', 'createdAt', 'expiresAt', 'daysLeft', 'lastUsedAt', 'findings']);
  });
  it('short default columns are real fields of their object', () => {
    for (const [kind, columns] of Object.entries(DEFAULT_COLUMNS)) {
      for (const c of columns!) expect(FIELDS[kind as keyof typeof FIELDS] as readonly string[], `${kind}.${c}`).toContain(c);
    }
  });
  it('the token appears only in the creation records', () => {
    const withToken = Object.entries(FIELDS)
      .filter(([, f]) => (f as readonly string[]).includes('token'))
      .map(([k]) => k);
    expect(withToken.sort()).toEqual(['exchangedToken', 'newKey']);
  });
});

describe('formats', () => {
  it.each([
    ['CSV', 'csv'],
    ['json', 'json'],
    ['NDJSON', 'ndjson'],
    ['DF', 'table'],
    ['Table', 'table'],
  ])('%s → %s', (raw, f) => expect(parseFormat(raw)).toBe(f));
  it('refuses unknown formats', () => expect(() => parseFormat('xml')).toThrow(/unknown format/));
});

it('version matches package.json', () => {
  expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
});
