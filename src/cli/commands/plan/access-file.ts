import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError, UserError } from '../../../domain/errors.js';
import { FileProblem, pathText, type AccessFile } from '../../../domain/access-code/model.js';
import { checkValue, MAX_DEPTH, MAX_FILE_BYTES, scanJsonText, scanYamlText, TextProblem } from '../../../domain/access-code/limits.js';
import { validateAccessFile } from '../../../domain/access-code/validate-file.js';

type YamlLib = typeof import('yaml');

/**
 * What only the yaml library reads: anchors and aliases (it bounds their expansion), tags,
 * directives and complex keys. A file with any of these characters skips js-yaml, even when the
 * character only sits inside a value: that costs speed, never meaning.
 */
const FULL_PARSER_ONLY = /[&*!%]|\?(?:\s|$)/m;

/** An access file as read: its declarations, its bytes' SHA-256, and how to point at a line of it. */
export interface LoadedFile {
  name: string;
  sha256: string;
  file: AccessFile;
  /** `FILE:LINE: path: message (hint)` as a usage error (exit 2). */
  problem(p: FileProblem): Promise<UsageError>;
}

/** Reads, parses and validates FILE (`-` is stdin's text, given as `stdinText`). Nothing is written. */
export async function loadAccessFile(path: string, readStdin: () => Promise<Buffer>): Promise<LoadedFile> {
  const name = path === '-' ? '<stdin>' : basename(path);
  let bytes: Buffer;
  try {
    bytes = path === '-' ? await readStdin() : readBounded(path);
  } catch (err) {
    if (err instanceof UserError) throw err; // stdin that is a directory, said as such
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, 'pass the access file with -f FILE');
  }
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(name);
  const text = decodeUtf8(bytes, name);
  // Hashed now, so that the bytes are not held beside the text and the parsed file.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  bytes = Buffer.alloc(0); // an async function keeps its locals: let go of the file's bytes
  const looksJson = /\.json$/i.test(path) || /^\s*[{[]/.test(text);
  scanText(text, looksJson, name);
  // The YAML library is loaded only by the access-as-code verbs; a JSON file skips it until a
  // problem needs a line number.
  let yaml: YamlLib | null = null;
  const lib = async () => (yaml ??= await import('yaml'));
  let value: unknown;
  let doc: import('yaml').Document.Parsed | null = null;
  let lines: import('yaml').LineCounter | null = null;
  const parseYaml = async () => {
    const Y = await lib();
    lines = new Y.LineCounter();
    doc = Y.parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    return doc;
  };
  try {
    value = await parseValue(text, looksJson, lib);
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(name);
    throw err;
  }
  if (value === NOT_PARSED) {
    // What JSON.parse refused goes to the YAML parser: judge its text as YAML first.
    if (looksJson) scanText(text, false, name);
    let d: import('yaml').Document.Parsed;
    try {
      d = await parseYaml();
    } catch (err) {
      if (err instanceof RangeError) throw tooDeep(name);
      throw err;
    }
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      // prettyErrors is off (one line, no excerpt), so the line comes from the error's offset.
      const line = e.linePos?.[0]?.line ?? (lines ? (lines as import('yaml').LineCounter).linePos(e.pos[0]).line : 1);
      throw new UsageError(`${name}:${line}: not valid ${looksJson ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, 'fix the syntax; nothing was changed');
    }
    try {
      value = d.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      if (err instanceof ReferenceError || err instanceof RangeError) {
        const line = firstAliasLine(await lib(), d, lines);
        throw new UsageError(`${name}${line ? `:${line}` : ''}: aliases expand too far (an alias bomb)`, `at most ${MAX_ALIASES} alias expansions; nothing was changed`);
      }
      throw err;
    }
  }

  const problem = async (p: FileProblem): Promise<UsageError> => {
    // Line numbers come from the YAML parser; a JSON file is parsed a second time only now.
    if (!doc) await parseYaml();
    const line = lineOf(doc ?? null, lines, p);
    return new UsageError(`${name}${line ? `:${line}` : ''}: ${pathText(p.path)}: ${p.message}`, p.hint ?? 'nothing was changed');
  };
  let file: AccessFile;
  try {
    checkValue(value);
    // Ports and numeric settings must be written in decimal: 0x1F and 1e3 parse as numbers too.
    const numbers = numericFields(value);
    if (numbers.length > 0) {
      if (!doc) await parseYaml();
      for (const path of numbers) {
        const source = sourceOf(doc!, text, path);
        if (source !== null && !/^(0|[1-9][0-9]*)$/.test(source)) throw new FileProblem(path, `${JSON.stringify(source.slice(0, 40))} is not a decimal number`, 'write it in decimal (443), or quote it');
      }
    }
    file = validateAccessFile(value);
  } catch (err) {
    if (err instanceof FileProblem) throw await problem(err);
    throw err;
  }
  if (declaresNothing(file)) {
    throw new UsageError(`${name}: the file declares nothing (empty, only comments, or {})`, 'an empty file would change nothing, or with --prune delete everything; nothing was changed');
  }
  return { name, sha256, file, problem };
}

/** The text scan of limits.ts, its problem said as `FILE:LINE: …` (exit 2). */
function scanText(text: string, json: boolean, name: string): void {
  try {
    if (json) scanJsonText(text);
    else scanYamlText(text);
  } catch (err) {
    if (err instanceof TextProblem) throw new UsageError(`${name}:${err.line}: ${err.message}`, `${err.hint}; nothing was changed`);
    throw err;
  }
}

/** A parser that recursed too deep past the text scan's estimate: a usage error all the same. */
function tooDeep(name: string): UsageError {
  return new UsageError(`${name}: nested too deeply to read`, `an access file is nested at most ${MAX_DEPTH} levels deep; nothing was changed`);
}

const MAX_ALIASES = 100;
const NOT_PARSED = Symbol('not parsed');

/** The fast readers first; NOT_PARSED sends the text to the yaml library's document, for a line. */
async function parseValue(text: string, looksJson: boolean, lib: () => Promise<YamlLib>): Promise<unknown> {
  if (looksJson) {
    try {
      return JSON.parse(text);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      // fall through: the YAML parser reads JSON too, and says where it broke
      return NOT_PARSED;
    }
  }
  if (!FULL_PARSER_ONLY.test(text)) {
    // The fastest path, for the plain YAML people keep in git: js-yaml reads the YAML 1.2 core
    // schema as the yaml library does, about ten times as fast (docs/performance.md). Anything
    // it refuses goes to the yaml library, which has the last word and the line numbers.
    // Loaded outside the try: a missing package is a failure, not a silent slow path.
    const { load } = await import('js-yaml');
    try {
      const loaded = load(text);
      if (loaded !== undefined) return loaded;
    } catch {
      // Whatever js-yaml refuses or fails on (its docs: catch every exception, a deep nesting is
      // a RangeError), the yaml library decides below.
    }
  }
  // Plain values, no source positions; a problem re-reads the file for its line.
  try {
    return (await lib()).parse(text, { uniqueKeys: true, maxAliasCount: MAX_ALIASES });
  } catch {
    return NOT_PARSED; // reported by the caller, with its line
  }
}

/** At most MAX_FILE_BYTES + 1 bytes: the size is judged before anything is parsed or held. */
function readBounded(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > MAX_FILE_BYTES) throw tooLarge(basename(path));
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      parts.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_FILE_BYTES) throw tooLarge(basename(path));
    }
    return Buffer.concat(parts, total);
  } finally {
    closeSync(fd);
  }
}

export function tooLarge(name: string): UsageError {
  return new UsageError(`${name}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`, 'an access file is at most 64 MiB; nothing was changed');
}

/** UTF-8 or nothing: a stray byte would otherwise become U+FFFD in a name. */
function decodeUtf8(bytes: Buffer, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 10) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    throw new UsageError(`${name}:${line}: not valid UTF-8`, 'save the file as UTF-8; nothing was changed');
  }
}

function declaresNothing(f: AccessFile): boolean {
  return f.users.length + f.resources.length + f.groups.length + f.services.length + f.settings.length + f.tests.length === 0;
}

/** Where numbers are allowed (ports, settings), the paths of those given as numbers. */
function numericFields(value: unknown): string[][] {
  const out: string[][] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  const top = value as Record<string, unknown>;
  if (Array.isArray(top.resources)) {
    top.resources.forEach((r, i) => {
      if (r === null || typeof r !== 'object') return;
      for (const k of ['tcp', 'udp']) if (typeof (r as Record<string, unknown>)[k] === 'number') out.push(['resources', String(i), k]);
    });
  }
  if (top.settings !== null && typeof top.settings === 'object' && !Array.isArray(top.settings)) {
    for (const [k, v] of Object.entries(top.settings)) if (typeof v === 'number') out.push(['settings', k]);
  }
  return out;
}

/** The scalar's text as written in the file, or null when the path has no scalar. */
function sourceOf(doc: import('yaml').Document.Parsed, text: string, path: string[]): string | null {
  const node = doc.getIn(path.map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p)), true) as { range?: [number, number, number] } | undefined;
  return node?.range ? text.slice(node.range[0], node.range[1]).trim() : null;
}

function firstAliasLine(Y: YamlLib, d: import('yaml').Document.Parsed, lines: import('yaml').LineCounter | null): number | null {
  let at: number | null = null;
  Y.visit(d, {
    Alias(_key, node) {
      at = node.range?.[0] ?? null;
      return Y.visit.BREAK;
    },
  });
  return at === null || !lines ? null : lines.linePos(at).line;
}

/** The line of the node at `path` (of the key itself for an unknown key), 1-based. */
function lineOf(doc: import('yaml').Document.Parsed | null, lines: import('yaml').LineCounter | null, p: FileProblem): number | null {
  if (!doc || !lines) return null;
  let node: unknown = doc.contents;
  let offset: number | null = rangeStart(node);
  for (let i = 0; i < p.path.length; i++) {
    const seg = p.path[i]!;
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) break;
    if ('key' in ((items[0] as object | undefined) ?? {})) {
      const pair = (items as Array<{ key: unknown; value: unknown }>).find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === seg);
      if (!pair) break;
      const last = i === p.path.length - 1;
      node = pair.value;
      offset = (last && p.atKey) || node === null ? rangeStart(pair.key) : (rangeStart(node) ?? rangeStart(pair.key));
    } else {
      node = items[Number(seg)];
      offset = rangeStart(node) ?? offset;
    }
  }
  return offset === null ? null : lines.linePos(offset).line;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : null;
}
