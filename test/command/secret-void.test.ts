import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECT, harness, type Harness } from '../helpers/harness.js';

// SPEC §5: if COMMIT fails after the token was written, stderr says the printed token is void.
// PostgreSQL can be made to fail at COMMIT from the outside (a deferred constraint trigger);
// SQLite's COMMIT failure is covered in test/unit/read-back.test.ts.

let h: Harness;
beforeEach(async () => {
  h = harness();
  await h.ok(['service', 'create', '-n', 'ci']);
});
afterEach(() => h.cleanup());

describe.skipIf(DIALECT !== 'postgres')('a COMMIT that fails after the token was printed', () => {
  it('key create: stderr says the printed token is void, exit non-zero, and the token is worth nothing', async () => {
    h.sql(`CREATE FUNCTION planted_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$;
      CREATE CONSTRAINT TRIGGER planted AFTER INSERT ON service_keys DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION planted_fail();`);
    let r;
    try {
      r = await h.run(['-q', 'key', 'create', '-i', 'ci']);
    } finally {
      h.sql('DROP TRIGGER planted ON service_keys; DROP FUNCTION planted_fail();');
    }
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (r.stdout === '') {
      // A store whose schema check refuses the planted trigger at open: nothing was printed.
      expect(r.code).toBe(6);
    } else {
      expect(r.stdout).toMatch(/^ack_[0-9A-Za-z]+\n$/);
      expect(lines[0]).toMatch(/^accessctl: the change could not be committed \(.*refused at commit.*\): the token printed above is void, nothing was changed \(run the command again for a new token\)$/);
      expect((await h.run(['key', 'verify'], { stdin: r.stdout })).code).toBe(5);
    }
    expect(await h.json(['key', 'list'])).toEqual([]);
    expect(await h.json(['audit', 'list', '--action', 'key.create'])).toEqual([]);
  });
});
