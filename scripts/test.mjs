// `npm test`: the SQLite leg, then the PostgreSQL leg (the command-level suites again, plus
// test/postgres; see vitest.config.ts). Whenever PostgreSQL is there its leg runs and must pass;
// where it is not, that is one clear line, except on CI (CI=true), which requires the leg.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const extra = process.argv.slice(2);
const vitest = (project) =>
  spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', project, ...extra], { stdio: 'inherit' }).status ?? 1;

const sqlite = vitest('sqlite');
if (sqlite !== 0) process.exit(sqlite);

const ci = process.env.CI === 'true';
// As test/helpers/pg-cluster.ts finds them: Debian's server binaries.
const pgRoot = '/usr/lib/postgresql';
const pgFound = existsSync(pgRoot) && readdirSync(pgRoot).some((v) => existsSync(`${pgRoot}/${v}/bin/initdb`));
if (!process.env.ACCESSCTL_TEST_PG_URL && !pgFound) {
  // vitest.config.ts has already said why (and refused on CI).
  process.exit(ci ? 1 : 0);
}
process.exit(vitest('postgres'));
