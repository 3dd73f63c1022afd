import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-complete-'));
const env = { ACCESSCTL_HOME: join(dir, 'home') };

/** What `accessctl __complete` answers for a command line; a trailing space means a new word. */
function complete(line: string, e: Record<string, string> = env): { mode: string; words: string[] } {
  const words = line.split(' ');
  const r = cli(['__complete', '--', ...words], { env: e });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const [mode, ...rest] = r.stdout.replace(/\n$/, '').split('\n');
  return { mode: mode!, words: rest };
}

beforeAll(() => {
  for (const args of [
    ['-q', 'user', 'create', '-e', 'ada@example.com'],
    ['-q', 'user', 'create', '-e', 'bob@example.com'],
    ['-q', 'resource', 'create', '-n', 'prod-db', '-a', 'db.internal'],
    ['-q', 'group', 'create', '-g', 'incident-42', '-u', 'ada@example.com'],
    ['-q', 'service', 'create', '-n', 'ci-pipeline'],
    ['-q', 'key', 'create', '-i', 'ci-pipeline', '-n', 'deploy'],
    ['-s', 'staging', '-q', 'resource', 'create', '-n', 'staging-db', '-a', 'db.staging'],
  ]) {
    expect(cli(args, { env }).code).toBe(0);
  }
});

describe('completion from the command tree', () => {
  it('flags of every verb, the top-level verbs too', () => {
    expect(complete('plan --p').words).toEqual(['--prune']);
    expect(complete('export --').words).toEqual(expect.arrayContaining(['--format', '--help']));
    expect(complete('test --').words).toEqual(expect.arrayContaining(['--file', '--help']));
    expect(complete('sweep --').words).toEqual(expect.arrayContaining(['--dry-run', '--grace', '--keys']));
    expect(complete('--').words).toEqual(expect.arrayContaining(['--session', '--db', '--format', '--quiet', '--version', '--help']));
  });

  it("an option's value is never taken for a verb", () => {
    expect(complete('sweep --grace 1h --d').words).toEqual(['--dry-run']);
    expect(complete('-s prod -f json group add').words).toEqual(['add-users', 'add-resources', 'add-services']);
    expect(complete('group add-users -g incident-42 --ttl 4h --').words).toEqual(expect.arrayContaining(['--users', '--group', '--ttl']));
  });

  it('the shells for completion', () => {
    expect(complete('completion ').words).toEqual(['bash', 'zsh', 'fish']);
  });

  it('files where a verb takes a file, and -f by what it means for each verb', () => {
    for (const line of ['plan -f ', 'apply -f ', 'test -f ', 'test --file ', 'user import ', 'resource import ', 'db backup ', 'audit verify --checkpoint ', 'key verify --token-file ']) {
      expect(complete(line).mode, line).toBe('files');
    }
    expect(complete('export -f ').words).toEqual(['yaml', 'json']);
    expect(complete('-f ').words).toEqual(['table', 'csv', 'json', 'ndjson']);
    expect(complete('user list -f n').words).toEqual(['ndjson']);
  });

  it('enum values, in comma-separated lists too', () => {
    expect(complete('user create --role ').words).toEqual(['ADMIN', 'DEVOPS', 'SUPPORT', 'MEMBER']);
    expect(complete('key list --status ').words).toEqual(['ACTIVE', 'REVOKED', 'EXPIRED']);
    expect(complete('key report --fail-on NO_EXPIRY,E').words).toEqual(['NO_EXPIRY,EXPIRING_7D']);
    expect(complete('config get token.').words).toEqual(['token.defaultTtl', 'token.maxTtl']);
  });

  it('object names from the store, for flags and arguments', () => {
    expect(complete('user show ').words).toEqual(['ada@example.com', 'bob@example.com']);
    expect(complete('group add-users -g inc').words).toEqual(['incident-42']);
    expect(complete('group create -g x -u ada@example.com,b').words).toEqual(['ada@example.com,bob@example.com']);
    expect(complete('group add-resources -g incident-42 --resources=pr').words).toEqual(['--resources=prod-db']);
    expect(complete('key create -i ').words).toEqual(['ci-pipeline']);
    expect(complete('account disable ').words).toEqual(['ci-pipeline']);
    expect(complete('key revoke ').words).toEqual(['deploy']);
    expect(complete('access check --user ada@example.com -r ').words).toEqual(['prod-db']);
    // from the store the line names
    expect(complete('-s staging resource show ').words).toEqual(['staging-db']);
    expect(complete('-s st').words).toEqual(['staging']);
    expect(complete('-s ').words).toEqual(['default', 'staging']);
  });

  it('reads only: a missing store is not created, and answers nothing', () => {
    const missing = { ACCESSCTL_HOME: join(dir, 'nowhere') };
    expect(complete('user show ', missing).words).toEqual([]);
    expect(complete('-s ', missing).words).toEqual([]);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('is hidden from help', () => {
    expect(cli(['--help'], { env }).stdout).not.toContain('__complete');
  });
});

describe.skipIf(spawnSync('shellcheck', ['--version']).status !== 0)('the bash script', () => {
  it('is shellcheck-clean', () => {
    const script = cli(['completion', 'bash'], { env }).stdout;
    const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' });
    expect(r.stdout, r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
