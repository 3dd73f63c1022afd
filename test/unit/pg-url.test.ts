import { describe, expect, it } from 'vitest';
import { resolveStoreLocation } from '../../src/store/location.js';
import { isPostgresUrl, redactUrl } from '../../src/store/postgres/url.js';

describe('postgres:// store locations', () => {
  it('recognises both schemes, and nothing else', () => {
    expect(isPostgresUrl('postgres://h/d')).toBe(true);
    expect(isPostgresUrl('postgresql://h/d')).toBe(true);
    expect(isPostgresUrl('/var/lib/postgres://x.db')).toBe(false);
    expect(isPostgresUrl('store.db')).toBe(false);
  });

  it('never shows a password, wherever the URL carries it', () => {
    expect(redactUrl('postgres://ops:s3cret@db.internal:5432/accessctl')).toBe('postgres://ops:***@db.internal:5432/accessctl');
    expect(redactUrl('postgres://ops:p%40ss@h/d?sslmode=require')).toBe('postgres://ops:***@h/d?sslmode=require');
    expect(redactUrl('postgres://ops@h/d?password=s3cret')).not.toContain('s3cret');
    // Unparseable: the scheme alone, never the rest.
    expect(redactUrl('postgres://ops:s3cret@/d')).toBe('postgres://…');
    expect(redactUrl('postgres://ops@h/d')).toBe('postgres://ops@h/d');
  });

  it('a location: the redacted URL is its path; the real one is kept to connect', () => {
    const loc = resolveStoreLocation({ db: 'postgres://ops:s3cret@db/accessctl' }, {});
    expect(loc).toEqual({ path: 'postgres://ops:***@db/accessctl', managedDir: false, url: 'postgres://ops:s3cret@db/accessctl' });
    expect(resolveStoreLocation({}, { ACCESSCTL_DB: 'postgresql://db/a' }).url).toBe('postgresql://db/a');
  });

  it('-s with a postgres:// store is a usage error; postgres:// alone is a store problem', () => {
    expect(() => resolveStoreLocation({ session: 'prod' }, { ACCESSCTL_DB: 'postgres://db/a' })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => resolveStoreLocation({ session: 'prod', db: 'postgres://db/a' }, {})).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => resolveStoreLocation({ db: 'postgres://' }, {})).toThrow(expect.objectContaining({ exitCode: 6 }));
    expect(() => resolveStoreLocation({ db: 'postgres://db.internal' }, {})).toThrow(expect.objectContaining({ exitCode: 6 }));
  });
});
