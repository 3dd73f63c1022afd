import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/spawn.js';

/**
 * Node ends a process whose event loop is empty with exit 0, even while a command still waits on
 * a promise nothing will settle (a lookup queued behind a connection that is never released). A
 * command that stops that way has not succeeded: it says so and exits 1. Here stdin is a stream
 * that never ends and holds no handle, so `user import -` waits on nothing.
 */
const dir = mkdtempSync(join(tmpdir(), 'accessctl-pending-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a command left pending with nothing to wait on', () => {
  it('exits 1 with one line, never 0 in silence, and writes nothing', () => {
    const script = join(dir, 'never.cjs');
    writeFileSync(
      script,
      `const { PassThrough } = require('node:stream');
const never = new PassThrough();
Object.defineProperty(process, 'stdin', { get: () => never, configurable: true });
require(${JSON.stringify(join(ROOT, 'bin', 'launch.cjs'))}).load().exports.main(process.argv.slice(2));
`,
    );
    const env = { PATH: process.env.PATH ?? '', ACCESSCTL_HOME: join(dir, 'home') };
    const r = spawnSync(process.execPath, [script, 'user', 'import', '-'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('accessctl: internal error: the command stopped before it finished (what it had not committed was not written; please report it)\n');
    const list = spawnSync(process.execPath, [join(ROOT, 'bin', 'accessctl'), '-q', 'user', 'list'], { env, encoding: 'utf8' });
    expect(list.stdout).toBe('');
  });
});
