import { Transform } from 'node:stream';
import { UsageError } from '../domain/errors.js';

/** Passes the bytes on unchanged, failing at the first byte sequence that is not UTF-8. */
export function utf8Check(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        // Which line: the chunk again, a line at a time, from a decoder that has seen what came before.
        const probe = new TextDecoder('utf-8', { fatal: true });
        let at = 0;
        try {
          for (let nl = chunk.indexOf(0x0a); ; nl = chunk.indexOf(0x0a, at)) {
            probe.decode(chunk.subarray(at, nl === -1 ? chunk.length : nl + 1), { stream: true });
            if (nl === -1) break;
            line++;
            at = nl + 1;
          }
        } catch {
          // `line` is where it failed.
        }
        return done(notUtf8(line));
      }
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) line++;
      done(null, chunk);
    },
    flush(done) {
      try {
        decoder.decode();
        done();
      } catch {
        done(notUtf8(line));
      }
    },
  });
}

function notUtf8(line: number): UsageError {
  return new UsageError(`line ${line}: not UTF-8 text, nothing imported`, 'save the export as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f WINDOWS-1252 -t UTF-8');
}
