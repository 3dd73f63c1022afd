import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECT, harness, type Harness } from '../helpers/harness.js';

/**
 * export is read and spooled before a byte is printed: a failure part way prints nothing. A
 * shorter document would still be valid YAML, and `apply --prune` of it would delete the rest.
 */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

describe('export all or nothing', () => {
  it('a row the export cannot name, after more than a buffer of output, prints nothing and exits non-zero', async () => {
    // About 400 KB of users, written before the groups and their links.
    const csv = ['email,firstName,lastName,role', ...Array.from({ length: 4000 }, (_, i) => `person-with-a-long-address-${i}@example.com,First${i},Last${i},MEMBER`)].join('\n');
    await h.ok(['user', 'import', '-'], { stdin: csv });
    await h.ok(['resource', 'create', '-n', 'db', '-a', 'db.internal']);
    await h.ok(['group', 'create', '-g', 'zz-last', '-u', 'person-with-a-long-address-1@example.com', '-r', 'db']);
    const whole = await h.run(['export']);
    expect(whole.code).toBe(0);
    expect(whole.stdout.length).toBeGreaterThan(300_000);
    // A membership naming a user that is not there (planted with the foreign keys off).
    const orphan = "insert into group_users (group_id, user_id, expires_at, created_at) select id, 'usr_AAAAAAAAAAAAAAAA', null, 1 from groups where name = 'zz-last'";
    h.sql(DIALECT === 'postgres' ? `set session_replication_role = replica; ${orphan}` : `pragma foreign_keys = off; ${orphan}`);
    const broken = await h.run(['export']);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toBe('');
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
  });
});
