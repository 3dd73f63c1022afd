import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

/** `user import --from okta|entra|google` and `--map` (SPEC section 14) on exports in each provider's own layout. */
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.cleanup());

const BOM = '\ufeff';
const ZWNJ = '\u200c';
const write = (name: string, text: string) => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};
const users = async () => Object.fromEntries((await h.json(['user', 'list'])).map((u) => [u.email, u]));
const userEvents = async () => (await h.json(['audit', 'list'])).filter((e) => String(e.action).startsWith('user.'));

describe('okta', () => {
  it('reads the export as Okta spells it: BOM, CRLF, quoting, NFD stored NFC, a Persian ZWNJ; states mapped; other columns ignored and named once', async () => {
    const rows = [
      'Username,First name,Last name,Primary email,Secondary email,Status,Department,state',
      'ada@acme.com,Ada,"Lovelace, Countess",ada@acme.com,,ACTIVE,Engineering,CA',
      `reza@acme.com,Reza,"می${ZWNJ}خواهم",reza@acme.com,,PASSWORD_EXPIRED,Ops,"NY"`,
      'rene@acme.com,Rene\u0301e,"O""Brien",,,LOCKED_OUT,Sales,TX', // no primary email: the login is the email
      'sam@acme.com,Sam,Suspended,sam@acme.com,,SUSPENDED,,',
      'dee@acme.com,Dee,Gone,dee@acme.com,,deprovisioned,,',
      'stu@acme.com,Stu,New,stu@acme.com,,STAGED,,',
      'pat@acme.com,Pat,Prov,pat@acme.com,,PROVISIONED,,',
      'rec@acme.com,Rec,Overy,rec@acme.com,,RECOVERY,,',
    ];
    const file = write('okta.csv', `${BOM}${rows.join('\r\n')}\r\n\r\n`);
    const r = await h.run(['-f', 'ndjson', 'user', 'import', '--from', 'okta', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/ignoring/g)).toHaveLength(1);
    expect(r.stderr).toContain('note: ignoring CSV columns "Secondary email", "Department", "state" (not mapped)');
    const all = await users();
    expect(all['ada@acme.com']).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace, Countess', state: 'ACTIVE', type: 'SYNCED', role: 'MEMBER' });
    expect(all['reza@acme.com']).toMatchObject({ lastName: `می${ZWNJ}خواهم`, state: 'ACTIVE' });
    expect(all['rene@acme.com']).toMatchObject({ firstName: 'Ren\u00e9e', lastName: 'O"Brien', state: 'ACTIVE' });
    expect(Object.fromEntries(Object.entries(all).map(([e, u]) => [e, (u as { state: string }).state]))).toMatchObject({
      'sam@acme.com': 'DISABLED',
      'dee@acme.com': 'DISABLED',
      'stu@acme.com': 'ACTIVE',
      'pat@acme.com': 'ACTIVE',
      'rec@acme.com': 'ACTIVE',
    });
    expect((await h.run(['db', 'check'])).code).toBe(0);
  });

  it('an unknown state is an error for its line (physical lines, header = 1); every bad line is reported and nothing is written', async () => {
    const file = write(
      'okta.csv',
      ['Username,First name,Last name,Status', 'ada@acme.com,Ada,L,ACTIVE', '', 'bob@acme.com,Bob,B,ON_LEAVE', `eve@acme.com,Eve,${ZWNJ}Start,ACTIVE`, 'not-an-email,X,Y,ACTIVE'].join('\n'),
    );
    const r = await h.run(['user', 'import', '--from', 'okta', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'accessctl: 3 invalid rows, nothing imported: line 4: unknown state "ON_LEAVE"; line 5: lastName contains an invisible or control character (U+200C); line 6: invalid email "not-an-email" (fix them and run it again)\n',
    );
    expect(await h.json(['user', 'list'])).toEqual([]);
    expect(await userEvents()).toEqual([]);
  });
  it('a quoted field spanning lines (CRLF) numbers the next rows by their physical lines', async () => {
    const file = write('okta.csv', ['Username,First name,Department,Status', 'ada@acme.com,Ada,"Research\r\nand\r\nDevelopment",ACTIVE', '', 'bob@acme.com,Bob,Ops,HOLIDAY', 'nope,C,D,ACTIVE'].join('\r\n'));
    const r = await h.run(['user', 'import', '--from', 'okta', file]);
    expect(r.stderr).toContain('2 invalid rows, nothing imported: line 6: unknown state "HOLIDAY"; line 7: invalid email "nope"');
  });
});

describe('entra', () => {
  it('reads "Download users": accountEnabled in any case, mail else userPrincipalName (a guest #EXT# address)', async () => {
    const file = write(
      'entra.csv',
      [
        'userPrincipalName,displayName,surname,mail,givenName,objectId,userType,jobTitle,department,accountEnabled,usageLocation,state,country',
        'ada@acme.onmicrosoft.com,Ada Lovelace,Lovelace,ada@acme.com,Ada,0001,Member,Engineer,R&D,TRUE,GB,,UK',
        'x_gmail.com#EXT#@acme.onmicrosoft.com,X Guest,Guest,,Xavier,0002,Guest,,,True,,,',
        'bob@acme.onmicrosoft.com,Bob,Builder,bob@acme.com,Bob,0003,Member,,,false,US,WA,US',
      ].join('\r\n'),
    );
    const r = await h.run(['user', 'import', '--from', 'entra', file]);
    expect(r.code, r.stderr).toBe(0);
    const all = await users();
    expect(Object.keys(all).sort()).toEqual(['ada@acme.com', 'bob@acme.com', 'x_gmail.com#EXT#@acme.onmicrosoft.com']);
    expect(all['bob@acme.com']).toMatchObject({ firstName: 'Bob', lastName: 'Builder', state: 'DISABLED', type: 'SYNCED' });
    expect(all['ada@acme.com']).toMatchObject({ state: 'ACTIVE' });
    const bad = await h.run(['user', 'import', '--from', 'entra', write('bad.csv', 'userPrincipalName,accountEnabled\nz@acme.com,yes\n')]);
    expect(bad.stderr).toContain('line 2: unknown state "yes"');
  });
});

describe('google', () => {
  it('reads the Admin console download: Active and Suspended', async () => {
    const file = write(
      'google.csv',
      `${BOM}First Name [Required],Last Name [Required],Email Address [Required],Password [Required],Org Unit Path [Required],Status [READ ONLY],Last Sign In [READ ONLY]\n` +
        'Ada,Lovelace,ada@acme.com,****,/,Active,2026/11/01 10:00:00\n' +
        'Zoë,"Ünal",zoe@acme.com,****,/Sales,Suspended,Never logged in\n',
    );
    const r = await h.run(['user', 'import', '--from', 'google', file]);
    expect(r.code, r.stderr).toBe(0);
    const all = await users();
    expect(all['zoe@acme.com']).toMatchObject({ firstName: 'Zoë', lastName: 'Ünal', state: 'DISABLED', type: 'SYNCED' });
    expect(all['ada@acme.com']).toMatchObject({ state: 'ACTIVE' });
  });
});

describe('columns', () => {
  it('without a preset or map, every unknown column is refused, all named at once', async () => {
    const file = write('x.csv', 'email,firstName,lastName,Department,Username,Status\nada@acme.com,A,L,Eng,ada,ACTIVE\n');
    const r = await h.run(['user', 'import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^accessctl: unknown CSV column "Department", "Username" and "Status" \(columns: email, firstName, lastName, role, state; for a provider's export use --from okta\|entra\|google or --map\)\n$/);
  });

  it('--map reads any layout, and wins over a preset for the columns it names', async () => {
    const hr = write('hr.csv', 'Work Email,Given,Family,Employment\nada@acme.com,Ada,Lovelace,DISABLED\n');
    expect((await h.run(['user', 'import', '--map', 'Work Email=email, given=firstName,FAMILY=lastName,Employment=state', hr])).code).toBe(0);
    expect((await users())['ada@acme.com']).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', state: 'DISABLED', type: 'SYNCED' });
    const okta = write('okta.csv', 'Username,Primary email,Work address,First name,Status\nbob,bob@home.example,bob@acme.com,Bob,ACTIVE\n');
    const r = await h.run(['user', 'import', '--from', 'okta', '--map', 'Work address=email', okta]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: ignoring CSV column "Primary email" (not mapped)');
    expect(Object.keys(await users())).toContain('bob@acme.com');
    const wrong = await h.run(['user', 'import', '--map', 'Work Email=mail', hr]);
    expect(wrong).toMatchObject({ code: 2, stderr: 'accessctl: invalid --map field "mail" (use one of email, login, firstName, lastName, role, state)\n' });
    const noEmail = await h.run(['user', 'import', '--from', 'google', write('g.csv', 'First Name [Required]\nAda\n')]);
    expect(noEmail.stderr).toMatch(/^accessctl: the CSV has no email column \(google exports name it "email address \[required\]"\)/);
  });

  it('a MANUAL user brought in by a provider export becomes SYNCED; the plain layout still makes MANUAL users', async () => {
    await h.ok(['user', 'create', '-e', 'ada@acme.com', '--first', 'Ada']);
    await h.ok(['user', 'import', write('own.csv', 'email,firstName\nbob@acme.com,Bob\n')]);
    expect((await users())['bob@acme.com']).toMatchObject({ type: 'MANUAL' });
    const r = await h.run(['-f', 'json', 'user', 'import', '--from', 'okta', write('o.csv', 'login,firstName,status\nADA@acme.com,Ada,ACTIVE\n')]);
    expect(JSON.parse(r.stdout)).toEqual([{ line: 2, action: 'update', id: expect.stringMatching(/^usr_/), name: 'ADA@acme.com', changes: { type: { from: 'MANUAL', to: 'SYNCED' } } }]);
  });
});

describe('exports that would read wrong', () => {
  it("a provider's export without its state column is refused: suspended people would read as ACTIVE", async () => {
    const r = await h.run(['user', 'sync', '--from', 'okta', write('o.csv', 'Username,First name,Last name,Stauts\nada@acme.com,Ada,L,SUSPENDED\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^accessctl: the okta export has no state column \("status"\)/);
    expect((await h.json(['user', 'list'])).length).toBe(0);
  });

  it('a --map entry for a column the file does not have is refused; an empty state cell in a provider export is a bad line', async () => {
    const file = write('o.csv', 'Username,First name,Last name,Primary email,Status\nada@acme.com,Ada,L,ada@acme.com,ACTIVE\nbob@acme.com,Bob,M,bob@acme.com,\n');
    const typo = await h.run(['user', 'sync', '--from', 'okta', '--map', 'Primary Emial=email', file]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^accessctl: --map names a column the file does not have: "primary emial"/);
    const empty = await h.run(['user', 'sync', '--from', 'okta', file]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/line 3: state is empty/);
    expect((await h.json(['user', 'list'])).length).toBe(0);
  });

  it('a file that is not UTF-8 is refused with its line, nothing imported', async () => {
    const file = join(h.dir, 'cp1252.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('Username,First name,Last name,Status\nada@acme.com,Ada,L,ACTIVE\nzoe@acme.com,Zo'), Buffer.from([0xeb]), Buffer.from(',Bront,ACTIVE\n')]));
    for (const verb of ['import', 'sync']) {
      const r = await h.run(['user', verb, '--from', 'okta', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^accessctl: line 3: not UTF-8 text, nothing imported/);
    }
    expect((await h.json(['user', 'list'])).length).toBe(0);
  });
});

describe("ZWNJ in people's names everywhere", () => {
  it('on the command line and in access-as-code files, the same rule', async () => {
    const [u] = await h.json(['user', 'create', '-e', 'reza@acme.com', '--last', `می${ZWNJ}خواهم`]);
    expect(u!.lastName).toBe(`می${ZWNJ}خواهم`);
    const bad = await h.run(['user', 'update', '-i', 'reza@acme.com', '--first', `Re${ZWNJ}za`]);
    expect(bad).toMatchObject({ code: 2, stderr: 'accessctl: --first contains an invisible or control character (U+200C) (retype it: control, bidi and zero-width characters are refused)\n' });
    const yaml = write('a.yaml', `users:\n  - email: reza@acme.com\n    lastName: "می${ZWNJ}خواهم"\n  - email: nia@acme.com\n    firstName: "Nia\u0301"\n`);
    const applied = await h.run(['apply', '-f', yaml]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await users())['nia@acme.com']).toMatchObject({ firstName: 'Niá' });
    const badYaml = write('b.yaml', `users:\n  - email: reza@acme.com\n    lastName: "${ZWNJ}می"\n`);
    const refused = await h.run(['apply', '-f', badYaml]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('lastName contains an invisible or control character (U+200C)');
  });
});
