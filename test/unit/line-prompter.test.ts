import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/domain/errors.js';
import type { Io } from '../../src/cli/context.js';
import { linePrompter } from '../../src/cli/line-prompter.js';

/** The plain prompts over a stream: what is written, and what a typed line answers. */
function session(typed: string, end = false) {
  const stdin = new PassThrough();
  let written = '';
  const io: Io = {
    stdout: { write: () => undefined },
    stderr: { write: (chunk) => void (written += chunk) },
    stdin,
    stdinIsTTY: true,
    stdoutIsTTY: true,
    stderrIsTTY: false,
  };
  stdin.write(typed);
  if (end) stdin.end();
  return { prompter: linePrompter(io), written: () => written };
}

const EXPIRY = [
  { name: '30 days', value: '30' },
  { name: '90 days', value: '90' },
  { name: '365 days (the default)', value: '365' },
  { name: 'never', value: '0' },
];

describe('plain line prompts', () => {
  it('select: a numbered list; a wrong answer is said and asked again; a number picks', async () => {
    const s = session('9\nsoon\n2\n');
    expect(await s.prompter.select('Key expiration', EXPIRY, '365')).toBe('90');
    expect(s.written()).toBe(
      [
        'Key expiration',
        '  1) 30 days',
        '  2) 90 days',
        '  3) 365 days (the default)',
        '  4) never',
        'Type a number (1-4), or Enter for 3: No choice "9": type a number from 1 to 4.',
        'Type a number (1-4), or Enter for 3: No choice "soon": type a number from 1 to 4.',
        'Type a number (1-4), or Enter for 3: ',
      ].join('\n'),
    );
  });

  it('select: Enter takes the default; without one, Enter is asked again; a choice may be typed by name', async () => {
    expect(await session('\n').prompter.select('Key expiration', EXPIRY, '365')).toBe('365');
    const s = session('\r\nNever\r\n');
    expect(await s.prompter.select('Key expiration', EXPIRY)).toBe('0');
    expect(s.written()).toContain('Type a number (1-4): No choice made: type a number from 1 to 4.\n');
  });

  it('confirm: y or yes; n, no or Enter refuse; anything else is asked again', async () => {
    for (const [typed, answer] of [['y\n', true], ['YES\n', true], ['n\n', false], ['\n', false], ['no\n', false]] as const) {
      expect(await session(typed).prompter.confirm('Delete 1 user(s): a@example.com?')).toBe(answer);
    }
    const s = session('sure\ny\n');
    expect(await s.prompter.confirm('Delete?')).toBe(true);
    expect(s.written()).toBe('Delete? [y/N] Answer y or n.\nDelete? [y/N] ');
  });

  it('input: the validator\'s refusal is said and the question asked again', async () => {
    const s = session('nope\nada@example.com\n');
    const answer = await s.prompter.input('Email of the new user', (v) => (v.includes('@') ? true : `invalid email "${v}"`));
    expect(answer).toBe('ada@example.com');
    expect(s.written()).toBe('Email of the new user: invalid email "nope"\nEmail of the new user: ');
  });

  it('lines typed ahead answer the next questions, in order', async () => {
    const s = session('2\n1\n');
    expect(await s.prompter.select('Service', [{ name: 'ci', value: 'svc_1' }, { name: 'web', value: 'svc_2' }])).toBe('svc_2');
    expect(await s.prompter.select('Key expiration', EXPIRY, '365')).toBe('30');
  });

  it('the end of input (Ctrl+D) cancels, on a line of its own', async () => {
    const s = session('', true);
    await expect(s.prompter.input('Name of the new group')).rejects.toBeInstanceOf(CancelledError);
    expect(s.written()).toBe('Name of the new group: \n');
  });

  it('a secret: Backspace and Ctrl+U edit it, nothing of it is written, Ctrl+C cancels', async () => {
    const s = session('ack_wrong\x15ack_secreX\x7ft\r');
    expect(await s.prompter.password('Paste the token (it is not shown), then press Enter:')).toBe('ack_secret');
    expect(s.written()).toBe('Paste the token (it is not shown), then press Enter: \n');
    await expect(session('ack_\x03').prompter.password('Paste:')).rejects.toBeInstanceOf(CancelledError);
  });
});
