import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.prod.internal']);
});
afterEach(() => h.cleanup());

describe('an empty reference list is a usage error everywhere', () => {
  it.each([
    [['group', 'create', '-g', 'X', '-u', '', '-r', ''], 'missing users'],
    [['group', 'create', '-g', 'X', '-r', ','], 'missing resources'],
    [['group', 'create', '-g', 'X', '--services', ' , '], 'missing services'],
    [['service', 'create', '-n', 'svc', '-r', ''], 'missing resources'],
    [['group', 'show', '-i', ''], 'missing reference'],
  ])('%j', async (argv, message) => {
    const r = await h.run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^accessctl: ${message} \\(`));
    expect(r.stdout).toBe('');
    expect((await h.json(['group', 'list'])).length).toBe(0);
    expect((await h.json(['service', 'list'])).length).toBe(0);
  });
});

describe('one message per option error', () => {
  it('a bad duration is said once, with its hint', async () => {
    const r = await h.run(['group', 'create', '-g', 'X', '--ttl', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('accessctl: --ttl: invalid duration "0" (use a number and a unit: 90s, 30m, 2h, 7d, 2w, or a compound such as 1h30m)\n');
    expect(r.stderr).not.toMatch(/is invalid\./);
  });
  it('a bad --limit names the flag and the value', async () => {
    const r = await h.run(['user', 'list', '--limit', '0']);
    expect(r.stderr).toBe('accessctl: --limit "0": expected a whole number, 1 or more (see accessctl user list --help)\n');
  });
  it('under -f json the same error is one JSON object', async () => {
    const r = await h.run(['-f', 'json', 'group', 'create', '-g', 'X', '--ttl', '0']);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'USAGE', exitCode: 2, message: '--ttl: invalid duration "0"', hint: expect.stringMatching(/^use a number/) } });
  });
});

describe('did you mean, for flags', () => {
  it('a mistyped global flag after the verb gets the nearest one', async () => {
    const r = await h.run(['group', 'list', '--wdie']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("accessctl: unknown option '--wdie' (did you mean '--wide'?)\n");
  });
  it("a verb's own flag, and a global flag before the noun", async () => {
    expect((await h.run(['group', 'list', '--expird'])).stderr).toMatch(/did you mean '--expired'\?/);
    expect((await h.run(['--qiuet', 'group', 'list'])).stderr).toMatch(/did you mean '--quiet'\?/);
  });
  it('nothing close: the help is pointed to', async () => {
    expect((await h.run(['group', 'list', '--zzzzzz'])).stderr).toMatch(/see accessctl group list --help/);
  });
});

describe('-q silences notes; warnings and errors stay', () => {
  it('create --if-not-exists of an existing object says nothing on stderr', async () => {
    const loud = await h.run(['user', 'create', '-e', 'ada@example.com', '--if-not-exists']);
    expect(loud.stderr).toMatch(/^note: user ada@example.com already exists/);
    const quiet = await h.run(['-q', 'user', 'create', '-e', 'ada@example.com', '--if-not-exists']);
    expect(quiet).toEqual({ code: 0, stdout: expect.stringMatching(/^usr_\w+\n$/), stderr: '' });
    expect((await h.run(['-q', 'resource', 'create', '-n', 'prod-db', '-a', 'x', '--if-not-exists'])).stderr).toBe('');
  });
  it('delete --ignore-not-found under -q is silent', async () => {
    const r = await h.run(['-q', 'user', 'delete', 'nobody@example.com', '--ignore-not-found']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
  it('audit verify under -q prints nothing when the chain is whole', async () => {
    expect(await h.run(['-q', 'audit', 'verify'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });
  it('an error still prints under -q', async () => {
    const r = await h.run(['-q', 'user', 'show', 'nobody@example.com']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^accessctl: /);
  });
  it('a warning that needs action still prints under -q', async () => {
    await h.ok(['service', 'create', '-n', 'ci']);
    await h.ok(['service', 'disable', 'ci', '--yes']);
    const r = await h.run(['-q', 'key', 'create', '-i', 'ci', '-n', 'k1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/service ci is DISABLED/);
  });
});

describe('version', () => {
  it('names the build, the schema and the libraries', async () => {
    const [v] = await h.json(['version']);
    expect(v).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), schemaVersion: expect.any(Number), sqlite: expect.stringMatching(/^3\.\d+/), betterSqlite3: expect.stringMatching(/^\d+\./), pg: expect.stringMatching(/^\d+\./), node: process.versions.node });
  });
});
