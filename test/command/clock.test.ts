import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(() => h.cleanup());

describe('the clock rule on a store that did not opt in', () => {
  it('the harness clock is an override: a default store refuses its writes, answers its reads', async () => {
    h = harness({ allowClockOverride: false });
    const refused = await h.run(['user', 'create', '-e', 'ada@example.com']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^accessctl: the clock is overridden to 2026-11-22T23:00:00.000Z \(ACCESSCTL_NOW\) and this store refuses writes under an override \(/);
    // The machine's clock creates it; the override still may not write, but may read.
    expect((await h.run(['user', 'create', '-e', 'ada@example.com'], { wallClock: true })).code).toBe(0);
    expect((await h.run(['user', 'create', '-e', 'bob@example.com'])).code).toBe(2);
    expect((await h.run(['config', 'set', 'key.maxActivePerService', '3'])).code).toBe(2);
    expect((await h.json(['user', 'list'])).map((u) => u.email)).toEqual(['ada@example.com']);
    expect((await h.json(['config', 'get', 'clock.allowOverride']))[0]).toMatchObject({ value: 'false', default: 'false' });
    expect((await h.json(['audit', 'list'])).map((e) => e.action)).toEqual(['user.create']);
  });

  it('clock.allowOverride takes true or false, and only from the machine clock', async () => {
    h = harness({ allowClockOverride: false });
    expect((await h.run(['db', 'init'], { wallClock: true })).code).toBe(0);
    expect((await h.run(['config', 'set', 'clock.allowOverride', 'yes'], { wallClock: true })).code).toBe(2);
    expect((await h.run(['config', 'set', 'clock.allowOverride', 'true'])).code).toBe(2);
    expect((await h.run(['config', 'set', 'clock.allowOverride', 'TRUE'], { wallClock: true })).code).toBe(0);
    expect((await h.json(['config', 'list'])).map((s) => s.key)).toContain('clock.allowOverride');
    expect((await h.run(['user', 'create', '-e', 'ada@example.com'])).code).toBe(0);
  });
});
