import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { BIN, cli } from '../helpers/spawn.js';

/**
 * "Now" per request in `access check --batch` (SPEC sections 11 and 13), on both dialects, on the
 * real clock (ACCESSCTL_NOW pins time, which is exactly what must not happen here): a membership
 * with a 2 s TTL must be denied within the same batch once it has expired. Only "eventually, within
 * a generous cap" is asserted, never a duration.
 */

let h: Harness;
let env: Record<string, string>;
const run = (args: string[]) => {
  const r = cli(args, { env });
  if (r.code !== 0) throw new Error(`${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
};

beforeEach(() => {
  h = harness();
  env = { ACCESSCTL_DB: h.db, ACCESSCTL_ACTOR: 'clock-test', HOME: h.dir };
  run(['db', 'init']);
  run(['user', 'create', '-e', 'ada@example.com']);
  run(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal']);
  run(['resource', 'create', '-n', 'wiki', '-a', 'wiki.internal']);
  run(['service', 'create', '-n', 'ci', '-r', 'wiki']);
});
afterEach(() => h.cleanup());

function gate() {
  const child = spawn(process.execPath, [BIN, 'access', 'check', '--batch'], { env: { PATH: process.env.PATH ?? '', ...env } });
  let buffered = '';
  let stderr = '';
  const waiting: Array<(line: string) => void> = [];
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1 && waiting.length > 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()!(line);
    }
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    ask: (o: Record<string, unknown>) =>
      new Promise<Record<string, unknown>>((resolve) => {
        waiting.push((out) => resolve(JSON.parse(out) as Record<string, unknown>));
        child.stdin.write(`${JSON.stringify(o)}\n`);
      }),
    async end() {
      child.stdin.end();
      return { code: await closed, stderr };
    },
  };
}

/** Yields to the event loop for a while between requests; the loop is bounded by count, not time. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('access check --batch judges each request as of the clock when it is read', () => {
  it('a membership that expires during the batch flips to denied in the same batch; lastUsedAt carries the request time', async () => {
    const [key] = JSON.parse(run(['-f', 'json', 'key', 'create', '-i', 'ci'])) as Array<{ token: string; id: string }>;
    const g = gate();
    expect(await g.ask({ user: 'ada@example.com', resource: 'prod-db' })).toMatchObject({ allowed: false });
    // Granted by another process while the gate runs, so the TTL starts once the gate is up.
    run(['group', 'create', '-g', 'incident', '-u', 'ada@example.com', '-r', 'prod-db', '--ttl', '5s']);
    const answers: Array<Record<string, unknown>> = [];
    // At most 600 requests, 100 ms apart: far more than a 5 s TTL needs on any machine.
    for (let i = 0; i < 600; i++) {
      const answer = await g.ask({ user: 'ada@example.com', resource: 'prod-db' });
      answers.push(answer);
      if (answer.allowed === false && answers.some((a) => a.allowed === true)) break;
      await pause(100);
    }
    const granted = answers.find((a) => a.allowed === true);
    expect(granted, 'the grant was never seen').toMatchObject({ allowed: true, via: 'group', group: 'incident' });
    const expiresAt = Date.parse(granted!.expiresAt as string);
    const flipped = answers.at(-1)!;
    expect(flipped).toMatchObject({ allowed: false, via: null });
    // The first use of the key, after the expiry was seen: its lastUsedAt is that request's time.
    expect(await g.ask({ token: key!.token, resource: 'wiki' })).toMatchObject({ allowed: true });
    const ended = await g.end();
    expect(ended).toEqual({ code: 0, stderr: '' });
    const [shown] = JSON.parse(run(['-f', 'json', 'key', 'show', '-i', key!.id])) as Array<{ lastUsedAt: string }>;
    expect(Date.parse(shown!.lastUsedAt)).toBeGreaterThanOrEqual(expiresAt);
  }, 180_000);
});
