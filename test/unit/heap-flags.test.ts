import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { heapFlags } = createRequire(import.meta.url)('../../bin/launch.cjs') as { heapFlags(args: string[]): string[] };

/**
 * The V8 flags a command line restarts Node with (bin/launch.cjs): a small young generation for
 * streams, a slowly growing old generation for commands that hold a replayed log while they make
 * garbage (docs/performance.md has the measurements), nothing for everything else.
 */
describe('heap flags', () => {
  it('a replay of the whole log grows its heap slowly; a stream keeps a small young generation', () => {
    expect(heapFlags(['db', 'check'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['--db', 'x.db', '-f', 'json', 'db', 'check'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['access', 'list', '--all', '--as-of', '2026-11-01'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['access', 'list', '--as-of=2026-11-01', '--user', 'a@x.io'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['-f', 'csv', 'access', 'diff', '--from', '2026-11-01'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['-qs', 'prod', 'db', 'check'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['-qf', 'csv', 'access', 'list', '--as-of', '1d', '--all'])).toEqual(['--heap-growing-percent=20']);
    expect(heapFlags(['access', 'list', '--all'])).toEqual(['--max-semi-space-size=2']);
    expect(heapFlags(['-f', 'csv', 'audit', 'list'])).toEqual(['--max-semi-space-size=2']);
  });

  it('single calls start once', () => {
    expect(heapFlags(['access', 'list', '--user', 'a@x.io'])).toEqual([]);
    expect(heapFlags(['access', 'check', '--user', 'a@x.io', '-r', 'db'])).toEqual([]);
    expect(heapFlags(['-s', 'db', 'group', 'show', '-i', 'check'])).toEqual([]);
    expect(heapFlags(['db', 'path'])).toEqual([]);
  });
});
