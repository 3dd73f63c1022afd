/**
 * How the bench measures and reports: whole processes (wall time, peak RSS from /usr/bin/time),
 * baseline and subject interleaved, the ratio of their medians, one Markdown table at the end.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const log = (s: string): void => void process.stderr.write(`${s}\n`);
export const hasTime = existsSync('/usr/bin/time');

export interface Measured {
  ms: number;
  rssMb: number | null;
}

export interface MeasureOptions {
  stdin?: string;
  stdinFile?: string;
  env?: Record<string, string | undefined>;
  okCodes?: number[];
  /** Where stdout goes (for counting an answer's rows afterwards); discarded otherwise. */
  stdoutFile?: string;
  /** Stop the process after this long; the error then says "timed out". */
  timeoutMs?: number;
}

/**
 * One whole process: wall time, and peak RSS from /usr/bin/time when it is there. A clean
 * environment (PATH and the pinned clock), stdout discarded, as every figure is run.
 */
export function measurer(dir: string, now: string): (command: string[], opts?: MeasureOptions) => Measured {
  return (command, opts = {}) => {
    const rssFile = join(dir, 'rss');
    // coreutils' timeout stops the command itself (exit 124), inside /usr/bin/time.
    const bounded = opts.timeoutMs === undefined ? command : ['timeout', `${opts.timeoutMs / 1000}`, ...command];
    const full = hasTime ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...bounded] : bounded;
    const input = opts.stdinFile !== undefined ? readFileSync(opts.stdinFile) : (opts.stdin ?? '');
    const out = opts.stdoutFile === undefined ? 'ignore' : openSync(opts.stdoutFile, 'w');
    const start = process.hrtime.bigint();
    const r = spawnSync(full[0]!, full.slice(1), {
      input,
      stdio: ['pipe', out, 'pipe'],
      env: { PATH: process.env.PATH ?? '', ACCESSCTL_NOW: now, ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (typeof out === 'number') closeSync(out);
    if (opts.timeoutMs !== undefined && r.status === 124) {
      throw new Error(`${command.join(' ').slice(0, 200)} timed out after ${opts.timeoutMs} ms`);
    }
    if (r.status !== 0 && !(opts.okCodes ?? []).includes(r.status ?? -1)) {
      throw new Error(`${command.join(' ').slice(0, 200)} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
    }
    const rssMb = hasTime ? Number(readFileSync(rssFile, 'utf8').trim()) / 1024 : null;
    return { ms, rssMb };
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const summarise = (samples: Measured[]): Measured => ({
  ms: median(samples.map((s) => s.ms)),
  rssMb: samples[0]!.rssMb === null ? null : Math.max(...samples.map((s) => s.rssMb!)),
});

/** Baseline and subject alternately, `pairs` times each: machine drift moves both alike. */
export function interleaved(pairs: number, base: () => Measured, ours: () => Measured): { base: Measured; ours: Measured } {
  const b: Measured[] = [];
  const o: Measured[] = [];
  for (let i = 0; i < pairs; i++) {
    b.push(base());
    o.push(ours());
  }
  return { base: summarise(b), ours: summarise(o) };
}

export interface Row {
  dialect: string;
  figure: string;
  accessctl: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
}

export const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (m: Measured) => (m.rssMb === null ? '' : `, ${m.rssMb.toFixed(0)} MB`);

/** The table's rows, in the order the figures ran. */
export class Report {
  private readonly rows: Row[] = [];

  add(row: Row): void {
    this.rows.push(row);
  }

  /**
   * One row. `targetRatio` null: reported, no target. `rssLimit`: a peak-memory bound as well.
   * `extra` adds a rate (req/s) to the accessctl cell. `failed`: the figure did not measure what
   * it names (an empty answer, say): not met whatever the numbers, and why.
   */
  record(dialect: string, figure: string, m: { base: Measured; ours: Measured }, targetRatio: number | null, opts: { rssLimit?: number; extra?: string; overMs?: number; underMs?: number; failed?: string } = {}): void {
    const ratio = m.ours.ms / m.base.ms;
    const rssOk = opts.rssLimit === undefined || m.ours.rssMb === null || m.ours.rssMb <= opts.rssLimit;
    const ratioOk = targetRatio === null || ratio <= targetRatio;
    // `overMs`: at most that many ms above the baseline; `underMs`: at most that many ms in all.
    const overOk = opts.overMs === undefined || m.ours.ms - m.base.ms <= opts.overMs;
    const underOk = opts.underMs === undefined || m.ours.ms <= opts.underMs;
    const targets = [
      targetRatio === null ? null : `<= ${targetRatio}x`,
      opts.overMs === undefined ? null : `<= +${opts.overMs} ms`,
      opts.underMs === undefined ? null : opts.underMs >= 1000 ? `<= ${opts.underMs / 1000} s` : `<= ${opts.underMs} ms`,
      opts.rssLimit === undefined ? null : opts.rssLimit % 1024 === 0 ? `<= ${opts.rssLimit / 1024} GB` : `<= ${opts.rssLimit} MB`,
    ].filter(Boolean);
    this.add({
      dialect,
      figure,
      accessctl: `${fmt(m.ours.ms)}${mb(m.ours)}${opts.extra ? `, ${opts.extra}` : ''}`,
      baseline: `${fmt(m.base.ms)}${mb(m.base)}`,
      ratio: `${ratio.toFixed(2)}x`,
      target: targets.length ? targets.join(', ') : 'report',
      met: opts.failed !== undefined ? `NO (${opts.failed})` : targets.length ? (ratioOk && rssOk && overOk && underOk ? 'yes' : 'NO') : '-',
    });
    if (opts.failed !== undefined) log(`  [${dialect}] ${figure}: NOT MEASURED: ${opts.failed}`);
    log(`  [${dialect}] ${figure}: ${fmt(m.ours.ms)}${mb(m.ours)} vs ${fmt(m.base.ms)}${mb(m.base)} = ${ratio.toFixed(2)}x`);
  }

  /** The Markdown table, on stdout. */
  print(): void {
    const cols: Array<keyof Row> = ['dialect', 'figure', 'accessctl', 'baseline', 'ratio', 'target', 'met'];
    const width = (k: keyof Row) => Math.max(k.length, ...this.rows.map((r) => String(r[k]).length));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width(cols[i]!))).join(' | ')} |`;
    const table = [line(cols), `|${cols.map((c) => '-'.repeat(width(c) + 2)).join('|')}|`, ...this.rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
    process.stdout.write(`${table}\n`);
  }
}
