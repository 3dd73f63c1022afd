/**
 * One list of fields per object, in output order. Every format prints exactly these names;
 * test/unit/fields.test.ts pins them, so a rename is a deliberate act.
 */
export const FIELDS = {
  user: ['id', 'email', 'firstName', 'lastName', 'role', 'state', 'type', 'createdAt', 'updatedAt'],
  resource: ['id', 'name', 'address', 'alias', 'tcp', 'udp', 'icmp', 'isActive', 'createdAt', 'updatedAt'],
  group: ['id', 'name', 'type', 'isActive', 'expiresAt', 'users', 'resources', 'services', 'createdAt', 'updatedAt'],
  service: [
    'id',
    'name',
    'description',
    'state',
    'resources',
    'groups',
    'keys',
    'activeKeys',
    'revokedKeys',
    'expiredKeys',
    'createdAt',
    'updatedAt',
  ],
  key: ['id', 'serviceId', 'serviceName', 'name', 'status', 'hint', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
  /** A key at creation: the only time its token is printed. */
  newKey: ['id', 'serviceId', 'serviceName', 'name', 'status', 'hint', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt', 'token'],
  exchangedToken: ['id', 'keyId', 'serviceId', 'serviceName', 'createdAt', 'expiresAt', 'token'],
  verification: ['valid', 'keyId', 'serviceId', 'serviceName', 'status', 'expiresAt', 'reason'],
  audit: ['seq', 'id', 'at', 'actor', 'action', 'targetType', 'targetId', 'details', 'hash'],
  auditCheck: ['ok', 'events', 'brokenSeq', 'reason', 'checkpoints'],
  checkpoint: ['seq', 'hash', 'at'],
  accessChange: ['change', 'subjectType', 'subjectId', 'subjectName', 'resourceId', 'resourceName', 'via', 'groupId', 'groupName', 'at', 'seq', 'actor', 'action', 'cause'],
  access: [
    'subjectType',
    'subjectId',
    'subjectName',
    'resourceId',
    'resourceName',
    'address',
    'allowed',
    'via',
    'groupId',
    'groupName',
    'expiresAt',
    'limitedBy',
    'reason',
  ],
  sweep: ['action', 'targetType', 'targetId', 'name', 'expiredAt'],
  setting: ['key', 'value', 'default', 'updatedAt'],
  importChange: ['line', 'action', 'id', 'name', 'changes'],
  dbPath: ['path', 'exists'],
  dbCheck: ['check', 'ok', 'detail'],
  backup: ['path', 'bytes', 'pages'],
  /** plan/apply as flat lines (csv, ndjson): objects, their fields, access changes, tests, the plan id. */
  planLine: ['section', 'op', 'type', 'name', 'field', 'item', 'from', 'to', 'via', 'until', 'detail'],
  testResult: ['result', 'subjectType', 'subject', 'expect', 'target', 'at', 'detail'],
} as const satisfies Record<string, readonly string[]>;

export type RecordKind = keyof typeof FIELDS;
export type OutputRecord = Record<string, unknown>;

/** The field that `-q` prints. */
export const QUIET_FIELD: Record<RecordKind, string> = {
  user: 'id',
  resource: 'id',
  group: 'id',
  service: 'id',
  key: 'id',
  newKey: 'token',
  exchangedToken: 'token',
  verification: 'keyId',
  audit: 'id',
  auditCheck: 'brokenSeq',
  checkpoint: 'hash',
  accessChange: 'resourceId',
  access: 'resourceId',
  sweep: 'targetId',
  setting: 'value',
  importChange: 'id',
  dbPath: 'path',
  dbCheck: 'check',
  backup: 'path',
  planLine: 'name',
  testResult: 'result',
};
