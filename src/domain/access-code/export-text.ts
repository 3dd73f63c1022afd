import type { ExportPiece } from './export.js';

export const YAML_HEADER = '# accessctl access file: review changes with "accessctl plan -f FILE", apply with "accessctl apply -f FILE".\n';

type Stringify = (value: unknown) => string;

/**
 * The pieces as YAML, the bytes the whole document would stringify to: each top-level key is its
 * own block, and a list's items are the same lines whichever batch they are written in, so a
 * batch after the first drops its `key:` line.
 */
export async function* yamlText(pieces: AsyncIterable<ExportPiece>, stringify: Stringify): AsyncGenerator<string> {
  yield YAML_HEADER;
  for await (const p of pieces) {
    if (!('items' in p)) {
      yield stringify({ [p.key]: p.value });
      continue;
    }
    const text = stringify({ [p.key]: p.items });
    yield p.first ? text : text.slice(text.indexOf('\n') + 1);
  }
}

/** The pieces as JSON, byte for byte `JSON.stringify(document, null, 2)` and a newline. */
export async function* jsonText(pieces: AsyncIterable<ExportPiece>): AsyncGenerator<string> {
  let first = true;
  for await (const p of pieces) {
    const head = `${first ? '{\n' : ',\n'}  ${JSON.stringify(p.key)}: `;
    first = false;
    if (!('items' in p)) {
      yield `${head}${indent(JSON.stringify(p.value, null, 2), '  ')}`;
      continue;
    }
    const items = p.items.map((item) => `    ${indent(JSON.stringify(item, null, 2), '    ')}`).join(',\n');
    yield `${p.first ? `${head}[\n` : ',\n'}${items}${p.last ? '\n  ]' : ''}`;
  }
  yield first ? '{}\n' : '\n}\n';
}

/** JSON text never holds a raw newline inside a string, so every newline starts a line. */
const indent = (json: string, by: string) => json.replace(/\n/g, `\n${by}`);
