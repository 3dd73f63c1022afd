import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPgBin, PASSWORD_ROLE, psql, removeCluster, startCluster, type Cluster } from '../helpers/pg-cluster.js';
import { cli, cliAsync } from '../helpers/spawn.js';

/**
 * SPEC section 11: a server that goes away in the middle of a long write (`pg_ctl stop -m
 * immediate` during a 100,000-row import) is exit 6, one line with the redacted URL, and the
 * import's one transaction leaves nothing behind. Its own cluster, so stopping it disturbs no one.
 */

let cluster: Cluster | null = null;
afterAll(() => {
  if (cluster) removeCluster(cluster);
});

describe.skipIf(findPgBin() === null)('the server stops during a large import', () => {
  it('exit 6, one line without the password, and no row of the import after restart', async () => {
    cluster = await startCluster(findPgBin()!);
    psql(`${cluster.baseUrl}postgres`, `create database imp owner ${PASSWORD_ROLE.user}`);
    const url = `postgres://${PASSWORD_ROLE.user}:${PASSWORD_ROLE.password}@127.0.0.1:${cluster.port}/imp`;
    const superuser = `${cluster.baseUrl}imp`;
    const env = { ACCESSCTL_DB: url };
    expect(cli(['user', 'create', '-e', 'ada@example.com'], { env }).code).toBe(0);
    const csv = join(cluster.dir, 'people.csv');
    const rows = Array.from({ length: 100_000 }, (_, i) => `u${i}@example.com,F${i},L${i},MEMBER,ACTIVE`);
    writeFileSync(csv, `email,firstName,lastName,role,state\n${rows.join('\n')}\n`);

    const pending = cliAsync(['user', 'import', csv], { env });
    // Stop the server once the import is writing: its backend has sent an INSERT inside its transaction.
    for (;;) {
      const writing = psql(`${cluster.baseUrl}postgres`, "select count(*) from pg_stat_activity where application_name = 'accessctl' and xact_start is not null and query ilike 'insert into%'");
      if (writing !== '0') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    cluster.stop();
    const r = await pending;
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/^accessctl: lost the connection to PostgreSQL at postgres:\/\/accessctl_pw:\*\*\*@127\.0\.0\.1:\d+\/imp \(nothing was committed; check the server and try again\)\n$/);
    expect(r.stderr).not.toContain(PASSWORD_ROLE.password);
    expect(r.stdout).toBe('');

    cluster.start();
    expect(psql(superuser, 'select count(*) from users')).toBe('1');
    expect(psql(superuser, 'select count(*) from audit_events')).toBe('1');
    expect(cli(['audit', 'verify'], { env }).code).toBe(0);
    expect(cli(['db', 'check'], { env }).code).toBe(0);
  }, 300_000); // a 100,000-row file on a shared machine: a guard, not a speed bound
});
