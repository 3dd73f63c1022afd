import { defineConfig } from 'vitest/config';
import { findPgBin } from './test/helpers/pg-cluster.js';

// The PostgreSQL leg: the command-level suites again, plus test/postgres, against a throwaway
// server (Debian's postgresql package) or ACCESSCTL_TEST_PG_URL. Required on CI.
const pgAvailable = Boolean(process.env.ACCESSCTL_TEST_PG_URL) || findPgBin() !== null;
if (!pgAvailable) {
  if (process.env.CI === 'true') throw new Error('CI requires the PostgreSQL leg: install Debian\'s postgresql package or set ACCESSCTL_TEST_PG_URL');
  process.stderr.write('accessctl tests: PostgreSQL not found (no /usr/lib/postgresql/*/bin, no ACCESSCTL_TEST_PG_URL): skipping the PostgreSQL leg\n');
}

// The end-to-end and reliability suites whose behaviour does not depend on the store: each gets its
// store from test/helpers/e2e-store.ts (a SQLite file, or here a database of its own), and tests
// inside them about files skip here with their reason. Left to the sqlite leg:
// - SQLite itself: faults, sqlite-faults, store-trial, wal-restore, reads-leave-no-trace,
//   permission-denied, secrets (file modes, WAL, hard links, locks, old SQLite files), upgrade-fixtures;
// - the default store under ACCESSCTL_HOME, terminals and shells: completion*, examples, terminal,
//   operators*, plain-prompts, token-prompt, pending-exit (a PostgreSQL socket keeps Node waiting);
// - requests* and reviews*: who acts is SUDO_USER on a file, the session's role on PostgreSQL
//   (test/postgres/requests.test.ts and reviews.test.ts run those flows with roles);
// - serve*, gate-recipes, sshd-gate: sockets, accounts and file moves (test/postgres/serve.test.ts);
// - concurrency and crash: hundreds of processes or kill -9 over 100,000-row imports, past this
//   leg's time budget (test/postgres/processes.test.ts runs 8 writers and a server stopped mid-command);
// - access-code-limits (parsing fails before a store is opened), bench-smoke, other-node.
const PG_E2E = [
  'test/e2e/access-start.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/flows.test.ts',
  'test/e2e/operator.test.ts',
  'test/e2e/secret-delivery.test.ts',
  'test/reliability/hostile.test.ts',
  'test/reliability/trust.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/postgres/**'] } },
      ...(pgAvailable
        ? [
            {
              extends: true,
              test: {
                name: 'postgres',
                include: ['test/command/**/*.test.ts', 'test/postgres/**/*.test.ts', ...PG_E2E],
                // SQLite's EXPLAIN QUERY PLAN; test/postgres/store.test.ts runs PostgreSQL's EXPLAIN.
                // The schema 1 to 2 upgrade exists only for SQLite files (a PostgreSQL store starts
                // at 2; test/postgres/store.test.ts refuses a newer schema and a foreign database).
                exclude: ['test/command/query-plans.test.ts', 'test/command/audit-migrate.test.ts'],
                env: { ACCESSCTL_TEST_DIALECT: 'postgres' },
                globalSetup: ['test/helpers/pg-global-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
