import { StringDecoder } from 'node:string_decoder';
import { CancelledError } from '../domain/errors.js';

type Input = NodeJS.ReadableStream & { setRawMode?(mode: boolean): unknown; isRaw?: boolean };

/**
 * Answers typed at a terminal, one line at a time, with the terminal's own line editing (the
 * kernel echoes and erases; nothing here moves the cursor). Lines typed ahead wait for the next
 * question. Ctrl+C and Ctrl+D cancel, as they do at inquirer's prompts.
 */
export class TerminalLines {
  private buffer = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly input: Input) {}

  /** The next line, without its line ending. */
  line(): Promise<string> {
    return this.read((text) => {
      const end = text.indexOf('\n');
      return end < 0 ? null : { answer: text.slice(0, end).replace(/\r$/, ''), rest: text.slice(end + 1) };
    });
  }

  /**
   * The next line with echo off (raw mode): nothing typed or pasted appears, not even a mask.
   * Backspace and Ctrl+U edit it; Enter ends it.
   */
  async secret(): Promise<string> {
    const raw = typeof this.input.setRawMode === 'function' && this.input.isRaw === false;
    if (raw) this.input.setRawMode!(true);
    try {
      return await this.read(scanSecret);
    } finally {
      if (raw) this.input.setRawMode!(false);
    }
  }

  private read(scan: (text: string) => { answer: string; rest: string } | 'cancel' | null): Promise<string> {
    return new Promise((resolve, reject) => {
      const input = this.input;
      const finish = (outcome: () => void) => {
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onError);
        process.off('SIGINT', onInterrupt);
        input.pause();
        outcome();
      };
      const settle = (): boolean => {
        const found = scan(this.buffer);
        if (found === null) {
          if (!this.ended) return false;
          finish(() => reject(cancelled()));
          return true;
        }
        if (found === 'cancel') {
          this.buffer = '';
          finish(() => reject(cancelled()));
          return true;
        }
        this.buffer = found.rest;
        finish(() => resolve(found.answer));
        return true;
      };
      const onData = (chunk: Buffer | string) => {
        this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
        settle();
      };
      const onEnd = () => {
        this.ended = true;
        this.buffer += this.decoder.end();
        settle();
      };
      const onError = (err: Error) => finish(() => reject(err));
      // In line mode the terminal turns Ctrl+C into SIGINT for the whole process group.
      const onInterrupt = () => finish(() => reject(cancelled()));
      if (settle()) return;
      input.on('data', onData);
      input.on('end', onEnd);
      input.on('error', onError);
      process.on('SIGINT', onInterrupt);
      input.resume();
    });
  }
}

function cancelled(): CancelledError {
  return new CancelledError('cancelled at the prompt', 'nothing was changed');
}

/** Raw-mode keys: Enter ends, Backspace and Ctrl+U edit, Ctrl+C cancels, Ctrl+D on nothing cancels. */
function scanSecret(text: string): { answer: string; rest: string } | 'cancel' | null {
  let answer = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\r' || c === '\n') return { answer, rest: text.slice(i + (c === '\r' && text[i + 1] === '\n' ? 2 : 1)) };
    if (c === '\x03' || (c === '\x04' && answer === '')) return 'cancel';
    if (c === '\x7f' || c === '\b') answer = [...answer].slice(0, -1).join('');
    else if (c === '\x15') answer = '';
    else if (c >= ' ' || c === '\t') answer += c;
  }
  return null;
}
