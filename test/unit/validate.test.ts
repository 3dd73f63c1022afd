import { describe, expect, it } from 'vitest';
import { parsePortRule, portAllowed } from '../../src/domain/ports.js';
import { nameKey, validateAddress, validateEmail, validateName, validateOptionalText, validateServiceName } from '../../src/domain/validate.js';
import { assertCleanText, textProblem } from '../../src/domain/text-hygiene.js';
import { UsageError } from '../../src/domain/errors.js';

describe('addresses', () => {
  it.each([
    ['db.prod.internal', 'db.prod.internal'],
    ['DB.Example.COM', 'db.example.com'],
    ['*.wiki.example.com', '*.wiki.example.com'],
    ['10.0.0.1', '10.0.0.1'],
    ['10.20.0.0/16', '10.20.0.0/16'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['localhost', 'localhost'],
  ])('accepts %s', (raw, canonical) => expect(validateAddress(raw)).toBe(canonical));
  it.each(['', '300.1.1.1', '10.0.0.0/33', '2001:db8::/129', 'a..b', '-bad.example.com', 'exa mple.com', '*.*.example.com', 'foo/24', "x'; DROP TABLE users;--", 'a'.repeat(300)])(
    'refuses %j',
    (raw) => expect(() => validateAddress(raw)).toThrow(/invalid address/),
  );
});

describe('port rules', () => {
  it('canonicalises: sorted, merged, full range is ALLOW_ALL', () => {
    expect(parsePortRule('443, 22,8000-8100,8050-8200')).toBe('22,443,8000-8200');
    expect(parsePortRule('allow_all')).toBe('ALLOW_ALL');
    expect(parsePortRule('DENY_ALL')).toBe('DENY_ALL');
    expect(parsePortRule('1-65535')).toBe('ALLOW_ALL');
    expect(parsePortRule('22,23')).toBe('22-23');
  });
  it.each(['0', '65536', '100-90', '', 'ssh', '22,,23', '-1', '1-2-3', '99999999999'])('refuses %j', (raw) => {
    expect(() => parsePortRule(raw)).toThrow(/invalid port rule/);
  });
  it('matches ports against rules', () => {
    expect(portAllowed('22,8000-8100', 8050)).toBe(true);
    expect(portAllowed('22,8000-8100', 8101)).toBe(false);
    expect(portAllowed('ALLOW_ALL', 1)).toBe(true);
    expect(portAllowed('DENY_ALL', 22)).toBe(false);
  });
});

describe('names and emails', () => {
  it('names are unique case-insensitively, Unicode-normalised', () => {
    expect(nameKey('Prod-DB')).toBe(nameKey('prod-db'));
    expect(nameKey('Ａ')).toBe(nameKey('a')); // full-width look-alike folds under NFKC
  });
  it.each(['', ' lead', 'trail ', 'bell\u0007', 'nl\nx', 'rtl\u202eevil', 'x'.repeat(256)])('refuses name %j', (raw) => {
    expect(() => validateName('group', raw)).toThrow();
  });
  it('service names: letters, digits, hyphens, 1-64', () => {
    expect(validateServiceName('ci-pipeline-2')).toBe('ci-pipeline-2');
    for (const bad of ['', 'has space', 'under_score', 'x'.repeat(65), 'ünï']) expect(() => validateServiceName(bad)).toThrow(/invalid service name/);
  });
  it('emails', () => {
    expect(validateEmail('ada@example.com')).toBe('ada@example.com');
    for (const bad of ['ada', 'ada@', '@example.com', 'ada@example', 'a b@example.com', `${'a'.repeat(65)}@example.com`]) expect(() => validateEmail(bad)).toThrow(/invalid email/);
  });
});

describe('text hygiene (SPEC section 3), one gate for every stored text', () => {
  it.each([
    ['ops\u00ad', 'invisible'],
    ['ops\u2060', 'invisible'],
    ['ops\ufe0f', 'invisible'],
    ['o\u200bps', 'invisible'],
    ['\u3164', 'invisible'],
    ['ops\u{e0020}', 'invisible'],
    ['admin\u202etoor', 'invisible'],
    ['x\u2066y', 'invisible'],
    ['tab\there', 'invisible'],
    ['-svc', 'dash'],
    ['－svc', 'dash'],
    ['key_0000000000000001', 'id'],
    ['KEY_abcdefghijklmnop', 'id'],
    ['ｅｖｔ＿AbCdEfGhIjKlMnOp', 'id'],
    ['ack_0123456789abcdefghijklmnopqrstuvwxyzAB', 'token'],
    ['see act_0123456789abcdefghij', 'token'],
    ['token=ack_0123456789abcdefghijKL', 'token'],
    ['ａｃｋ＿0123456789abcdefghijKL', 'token'],
  ])('%j is refused (%s)', (text, problem) => {
    expect(textProblem(text)?.problem).toBe(problem);
    expect(() => assertCleanText('name', text)).toThrow(UsageError);
  });

  it.each(['ops', 'act_now', 'ack_required', 'feedback_0123456789abcdefghijklmn', 'usr_guide', 'key_0000000000000001x', 'grp_short', 'Zoë', 'Ωmega', '運用', 'on-call 🙂', 'a-b', 'x - y', "O'Brien", '+44 team', '@ops', ''])('%j is accepted', (text) => {
    expect(textProblem(text)).toBeNull();
  });

  it('the error names the field and the rule, never the value', () => {
    const token = 'ack_0123456789abcdefghijklmnopqrstuvwxyzAB';
    try {
      validateName('group', `ops ${token}`);
      expect.unreachable();
    } catch (err) {
      expect((err as UsageError).message).toBe('group name contains text shaped like a secret token (ack_…/act_…); it is not stored');
      expect(`${(err as UsageError).message} ${(err as UsageError).hint}`).not.toContain('0123456789');
    }
  });

  it('every validator applies it: names, service names, emails, free text', () => {
    expect(() => validateName('key', 'key_0000000000000001')).toThrow(/shape of an object id/);
    expect(() => validateServiceName('-svc')).toThrow(/must not begin with "-"/);
    expect(() => validateServiceName('svc-')).toThrow(/invalid service name/);
    expect(() => validateEmail('ada\u200b@example.com')).toThrow(/invisible/);
    expect(() => validateEmail('ack_0123456789abcdefghijklmnopqrstuvwxyzAB@example.com')).toThrow(/secret token/);
    expect(() => validateOptionalText('--description', 'deploys\u00ad')).toThrow(/--description contains an invisible/);
    expect(validateOptionalText('--description', '')).toBe('');
  });

  it('name keys fold case fully: ß = ss, final sigma = sigma, NFKC look-alikes', () => {
    expect(nameKey('Straße')).toBe(nameKey('STRASSE'));
    expect(nameKey('ΟΔΟΣ')).toBe(nameKey('οδος'));
    expect(nameKey('ﬁle')).toBe(nameKey('FILE'));
    expect(nameKey('İstanbul')).toBe(nameKey('i̇stanbul'));
    expect(nameKey('ops')).not.toBe(nameKey('opz'));
  });
});
