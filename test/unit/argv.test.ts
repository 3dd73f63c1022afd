import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { sequentialIds } from '../../src/domain/ids.js';
import { fixedClock } from '../../src/domain/time.js';

/** argv → options, without touching a store: `db path` only resolves where the store would be. */
async function parse(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    io: { stdout: { write: (s) => void (stdout += s) }, stderr: { write: (s) => void (stderr += s) }, stdin: Readable.from([]), stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false },
    env: { ACCESSCTL_HOME: '/srv/accessctl', ...env },
    clock: fixedClock(0),
    ids: sequentialIds(),
  });
  return { code, stdout, stderr };
}

describe('argv → options', () => {
  it.each([
    [['db', 'path'], {}, '/srv/accessctl/default.db'],
    [['-s', 'BlackSnake', 'db', 'path'], {}, '/srv/accessctl/BlackSnake.db'],
    [['--session', 'prod', 'db', 'path'], {}, '/srv/accessctl/prod.db'],
    [['--db', '/tmp/x.db', 'db', 'path'], {}, '/tmp/x.db'],
    [['db', 'path'], { ACCESSCTL_DB: '/tmp/env.db' }, '/tmp/env.db'],
    [['-s', 'other', 'db', 'path'], { ACCESSCTL_DB: '/tmp/env.db' }, '/srv/accessctl/other.db'],
    [['db', 'path'], { ACCESSCTL_HOME: '', XDG_DATA_HOME: '/xdg' }, '/xdg/accessctl/default.db'],
    [['db', 'path'], { ACCESSCTL_HOME: '', HOME: '/home/ada' }, '/home/ada/.local/share/accessctl/default.db'],
  ] as const)('%j with %j → %s', async (argv, env, path) => {
    const r = await parse(['-q', ...argv], env);
    expect(r).toEqual({ code: 0, stdout: `${path}\n`, stderr: '' });
  });

  it.each([
    // A single-object result is `field  value` lines (SPEC section 7).
    [['-f', 'DF'], /^path {4}\/srv\/accessctl\/default.db\nexists {2}false\n$/],
    [['-f', 'Json'], /^\[\n {2}\{"path"/],
    [['-f', 'NDJSON'], /^\{"path"/],
    [['-f', 'CSV'], /^path,exists\n/],
    [['-f', 'csv', '--no-header'], /^\/srv\/accessctl\/default.db,false\n$/],
    [['--columns', 'exists'], /exists/],
  ])('output flags %j', async (flags, out) => {
    expect((await parse([...flags, 'db', 'path'])).stdout).toMatch(out);
  });

  it('output flags may follow the verb', async () => {
    expect((await parse(['db', 'path', '-f', 'csv', '--no-header'])).stdout).toBe('/srv/accessctl/default.db,false\n');
    expect((await parse(['db', 'path', '-q'])).stdout).toBe('/srv/accessctl/default.db\n');
  });

  it('no command at all prints the help on stdout, exit 0', async () => {
    const r = await parse([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: accessctl /);
  });

  it('ACCESSCTL_FORMAT is the default format', async () => {
    expect((await parse(['db', 'path'], { ACCESSCTL_FORMAT: 'csv' })).stdout).toMatch(/^path,exists/);
  });

  it.each([
    [['-s', 'a', '--db', '/tmp/x.db', 'db', 'path'], '--db and --session name two different stores'],
    [['-s', '../up', 'db', 'path'], 'invalid session name'],
    [['-f', 'yaml', 'db', 'path'], 'unknown format "yaml"'],
    [['--columns', 'nope', 'db', 'path'], 'unknown column "nope" (valid columns: path,exists)'],
    [['db'], 'missing command after "accessctl db"'],
  ])('%j is a usage error', async (argv, message) => {
    const r = await parse(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
