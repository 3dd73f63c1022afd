/**
 * One list of fields per object, in output order. Every format prints exactly these names;
 * test/unit/fields.test.ts pins them, so a rename is a deliberate act.
 */
export const FIELDS = {
  user: ['id', 'email', 'firstName', 'lastName', 'role', 'state', 'type', 'login', 'createdAt', 'updatedAt'],
  resource: ['id', 'name', 'address', 'alias', 'tcp', 'udp', 'icmp', 'isActive', 'createdAt', 'updatedAt'],
  group: ['id', 'name', 'type', 'isActive', 'expiresAt', 'users', 'resources', 'services', 'requestPolicy', 'createdAt', 'updatedAt'],
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
  /** What sweep removed: `what` is group, membership, assignment, token or key; the other fields say which. */
  sweep: ['what', 'id', 'name', 'groupId', 'serviceId', 'keyId', 'memberType', 'memberId', 'expiredAt'],
  /** `key report`: one row per key, with the findings an operator should act on. */
  keyReport: ['id', 'serviceId', 'serviceName', 'name', 'status', 'createdAt', 'expiresAt', 'daysLeft', 'lastUsedAt', 'findings'],
  setting: ['key', 'value', 'default', 'updatedAt'],
  importChange: ['line', 'action', 'id', 'name', 'changes'],
  dbPath: ['path', 'exists'],
  dbCheck: ['check', 'ok', 'detail'],
  backup: ['path', 'bytes', 'pages'],
  /** plan/apply as flat lines (csv, ndjson): objects, their fields, access changes, tests, the plan id. */
  planLine: ['section', 'op', 'type', 'name', 'field', 'item', 'from', 'to', 'via', 'until', 'detail'],
  testResult: ['result', 'subjectType', 'subject', 'expect', 'target', 'at', 'detail'],
  /** `group show` and the link verbs: the group, and each link by name with its own start and expiry. */
  groupShow: ['id', 'name', 'type', 'isActive', 'expiresAt', 'users', 'resources', 'services', 'requestPolicy', 'links', 'createdAt', 'updatedAt'],
  /** `access check`: the access record and its decision in a word, `allowed` or `denied`. */
  accessCheck: [
    'decision',
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
  /** `access expiring`: a grant that ends soon, who holds it and what it gives. */
  expiring: ['endsAt', 'subjectType', 'subjectId', 'subjectName', 'givesType', 'givesId', 'gives', 'source', 'startsAt'],
  version: ['version', 'schemaVersion', 'sqlite', 'betterSqlite3', 'pg', 'node'],
  /** An access request (SPEC section 15); `state` is judged as of now (EXPIRED, ENDED). */
  request: [
    'id',
    'groupId',
    'groupName',
    'userId',
    'userEmail',
    'requestedBy',
    'duration',
    'reason',
    'ticket',
    'breakGlass',
    'state',
    'requestedStart',
    'pendingUntil',
    'approvalsNeeded',
    'approvals',
    'startsAt',
    'expiresAt',
    'decidedBy',
    'decidedAt',
    'decisionReason',
    'reviewedBy',
    'reviewedAt',
    'reviewReason',
    'createdAt',
    'updatedAt',
  ],
  /** An access review (SPEC section 16); `overdue` is judged as of now. */
  review: [
    'id', 'name', 'scope', 'scopeId', 'scopeName', 'state', 'overdue', 'reviewersGroup', 'dueAt', 'frozenAt', 'frozenSeq', 'frozenHash',
    'items', 'decided', 'startedBy', 'closedAt', 'closedSeq', 'closedBy', 'createdAt', 'updatedAt',
  ],
  /** One frozen grant of a review, with its decision and, once closed, its outcome. */
  reviewItem: ['item', 'kind', 'owner', 'ownerId', 'subjectType', 'subject', 'subjectId', 'gives', 'startsAt', 'expiresAt', 'decision', 'decidedBy', 'decider', 'decidedAt', 'reason', 'outcome'],
  /** `review export -f csv`: one row per item with the review's evidence repeated. */
  reviewExport: [
    'reviewId', 'reviewName', 'scope', 'scopeName', 'reviewersGroup', 'frozenAt', 'frozenSeq', 'frozenHash', 'closedAt', 'closedBy', 'closedSeq',
    'closedHash', 'item', 'kind', 'owner', 'subject', 'gives', 'startsAt',
    'expiresAt', 'decision', 'decidedBy', 'decider', 'decidedAt', 'reason', 'outcome',
  ],
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
  sweep: 'id',
  keyReport: 'id',
  setting: 'value',
  importChange: 'id',
  dbPath: 'path',
  dbCheck: 'check',
  backup: 'path',
  planLine: 'name',
  testResult: 'result',
  version: 'version',
  groupShow: 'id',
  expiring: 'subjectId',
  accessCheck: 'resourceId',
  request: 'id',
  review: 'id',
  reviewItem: 'item',
  reviewExport: 'item',
};

/**
 * The short column set a list shows on a terminal: enough to recognise each row and act on it.
 * `--wide` shows every field, `--columns` picks; piped output always carries every field.
 */
export const DEFAULT_COLUMNS: Partial<Record<RecordKind, readonly string[]>> = {
  user: ['email', 'lastName', 'role', 'state'],
  resource: ['name', 'address', 'tcp', 'udp', 'isActive'],
  group: ['name', 'expiresAt', 'users', 'resources'],
  service: ['name', 'state', 'activeKeys', 'resources', 'description'],
  key: ['serviceName', 'name', 'status', 'expiresAt', 'lastUsedAt'],
  audit: ['seq', 'at', 'actor', 'action', 'targetId'],
  access: ['subjectName', 'resourceName', 'address', 'via', 'groupName', 'expiresAt'],
  expiring: ['endsAt', 'subjectName', 'givesType', 'gives', 'source', 'startsAt'],
  accessCheck: ['decision', 'subjectName', 'resourceName', 'via', 'groupName', 'expiresAt', 'reason'],
  sweep: ['what', 'name', 'memberType', 'memberId', 'expiredAt'],
  keyReport: ['serviceName', 'name', 'status', 'daysLeft', 'lastUsedAt', 'findings'],
  importChange: ['line', 'action', 'name', 'changes'],
  request: ['id', 'userEmail', 'groupName', 'state', 'expiresAt', 'duration', 'requestedBy', 'reason'],
  review: ['id', 'name', 'state', 'overdue', 'dueAt', 'items', 'decided', 'startedBy'],
  reviewItem: ['item', 'kind', 'owner', 'subject', 'gives', 'decision', 'decidedBy', 'outcome'],
};

/** Kinds whose -q lines could repeat (several paths to one resource): printed once each. */
export const QUIET_UNIQUE: ReadonlySet<RecordKind> = new Set(['access', 'accessCheck', 'sweep']);
