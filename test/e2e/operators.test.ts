import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/spawn.js';

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accessctl-operators-'));
  env = { ACCESSCTL_HOME: join(dir, 'home') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the first commands a newcomer types', () => {
  it('accessctl alone prints the help on stdout, exit 0', () => {
    const r = cli([], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: accessctl \[options\] \[command\]/);
    expect(r.stdout).toMatch(/People and things:/);
    expect(r.stderr).toBe('');
  });
  it('accessctl alone: help sits with the housekeeping, not alone under "Commands:" between two groups', () => {
    const { stdout } = cli([], { env });
    expect(stdout).not.toMatch(/^Commands:/m);
    expect(stdout).toMatch(/^Housekeeping:\n(  .*\n)*  help \[command\] +display help for command\n/m);
    expect(cli(['help', 'group', 'list'], { env }).stdout).toMatch(/^Usage: accessctl group list /);
  });
  it('accessctl version: the versions, one per line; --version stays one word', () => {
    const r = cli(['version'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^version +\d+\.\d+\.\d+\nschemaVersion +\d+\nsqlite +3\.\d+\.\d+\n/);
    expect(r.stdout).toContain(`node           ${process.versions.node}`);
    expect(cli(['--version'], { env }).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
  it('accessctl test on a file without tests says there was nothing to run, instead of silence', () => {
    writeFileSync(join(dir, 'access.yaml'), 'users:\n  - email: ada@example.com\n');
    const r = cli(['test', '-f', join(dir, 'access.yaml')], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^note: .*access\.yaml has no tests; nothing to run \(add tests: to it/);
    expect(cli(['-q', 'test', '-f', join(dir, 'access.yaml')], { env }).stderr).toBe('');
  });
});

describe('errors as JSON under -f json', () => {
  it('an invalid ACCESSCTL_NOW', () => {
    const r = cli(['-f', 'json', 'user', 'list'], { env: { ...env, ACCESSCTL_NOW: 'yesterday' } });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'USAGE', exitCode: 2, message: 'invalid ACCESSCTL_NOW "yesterday"', hint: expect.any(String) } });
  });
  it('the same from ACCESSCTL_FORMAT', () => {
    const r = cli(['user', 'list'], { env: { ...env, ACCESSCTL_NOW: 'yesterday', ACCESSCTL_FORMAT: 'ndjson' } });
    expect(JSON.parse(r.stderr).error.code).toBe('USAGE');
  });
});

describe('-q in scripts', () => {
  it('db init under -q prints the path only, no "created store"', () => {
    const r = cli(['-q', 'db', 'init'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/store\.db\n$|\.db\n$/);
    expect(cli(['db', 'init'], { env }).stderr).toBe('');
  });
  it('db init without -q says it created the store', () => {
    expect(cli(['db', 'init'], { env }).stderr).toMatch(/^created store /);
  });
});

describe('help fits 80 columns', () => {
  it.each(['group', 'service', 'user', 'key', 'access', 'audit', 'db'])('%s --help', (noun) => {
    const r = cli([noun, '--help'], { env });
    expect(r.code).toBe(0);
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
