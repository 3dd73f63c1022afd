import { readFileSync } from 'node:fs';
import { UsageError } from '../../../domain/errors.js';

/** One line of a checkpoint file: `audit checkpoint` output, or a shipped NDJSON audit line. */
export interface Checkpoint {
  line: number;
  seq: number;
  hash: string;
}

/**
 * Every line that carries a seq and a hash counts; blank lines are skipped. A line that is not
 * JSON or lacks them is a usage error naming the line: a checkpoint file must mean what it says.
 */
export function parseCheckpoints(text: string, file: string): Checkpoint[] {
  const out: Checkpoint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new UsageError(`${file} line ${i + 1} is not JSON`, 'a checkpoint file holds `audit checkpoint` lines or NDJSON audit lines');
    }
    const p = parsed as { seq?: unknown; hash?: unknown };
    if (typeof p !== 'object' || p === null || !Number.isSafeInteger(p.seq) || (p.seq as number) < 0 || typeof p.hash !== 'string') {
      throw new UsageError(`${file} line ${i + 1} has no seq and hash`, 'a checkpoint line looks like {"seq":42,"hash":"…","at":"…"}');
    }
    out.push({ line: i + 1, seq: p.seq as number, hash: p.hash });
  }
  if (out.length === 0) throw new UsageError(`${file} holds no checkpoint`, 'save the output of accessctl audit checkpoint into it');
  return out;
}

export function readCheckpointFile(file: string): Checkpoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read checkpoint file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'pass a file written by accessctl audit checkpoint');
  }
  return parseCheckpoints(text, file);
}

/**
 * The first checkpoint the chain no longer contains: past its head (the tail was cut off) or
 * with a different hash at its seq (the chain was rewritten). `hashAt` holds the verified chain's
 * hashes at the checkpoints' seqs.
 */
export function firstMissing(checkpoints: readonly Checkpoint[], hashAt: ReadonlyMap<number, string>, headSeq: number): { checkpoint: Checkpoint; reason: string } | null {
  for (const c of checkpoints) {
    if (c.seq === 0) {
      if (c.hash !== '') return { checkpoint: c, reason: 'an empty-log checkpoint must have an empty hash' };
      continue;
    }
    if (c.seq > headSeq) {
      return { checkpoint: c, reason: `the log ends at seq ${headSeq}: events up to seq ${c.seq} were there when this checkpoint was taken (the tail was cut off)` };
    }
    if (hashAt.get(c.seq) !== c.hash) return { checkpoint: c, reason: `the log holds a different event at seq ${c.seq} (the chain was rewritten)` };
  }
  return null;
}
