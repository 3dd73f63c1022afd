import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { translatePgError } from '../../src/store/postgres/errors.js';

describe('translatePgError', () => {
  it('a NUL character PostgreSQL cannot hold is a usage error (exit 2) that never quotes the driver', () => {
    const err = translatePgError({ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }, 'postgres://127.0.0.1/db');
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ exitCode: 2, message: 'text with a NUL character (\\0) is not accepted', hint: 'remove the NUL from the value' });
  });
});
