import { describe, expect, it } from 'vitest';
import { mapState, parseColumnMap, parseProvider, resolveHeader } from '../../src/domain/sync/providers.js';

const OWN = ['email', 'firstName', 'lastName', 'role', 'state'] as const;

describe('provider layouts', () => {
  it('reads each preset case-insensitively and ignores the rest', () => {
    expect(resolveHeader(['USERNAME', 'primary EMAIL', 'First name', 'Status', 'state'], { provider: 'okta' }, [...OWN])).toEqual({
      fields: ['login', 'email', 'firstName', 'state', null],
      ignored: ['state'],
    });
    expect(resolveHeader(['Email Address [Required]', 'Status [READ ONLY]', 'Password [Required]'], { provider: 'google' }, [...OWN]).fields).toEqual(['email', 'state', null]);
  });

  it('a map entry wins over the preset and takes the field from the preset column', () => {
    const r = resolveHeader(['Username', 'Primary email', 'Work', 'Status'], { provider: 'okta', map: parseColumnMap('work=email') }, [...OWN]);
    expect(r).toEqual({ fields: ['login', null, 'email', 'state'], ignored: ['Primary email'] });
  });

  it('two columns feeding one field are refused, naming both', () => {
    expect(() => resolveHeader(['login', 'Username'], { provider: 'okta' }, [...OWN])).toThrow('CSV columns "login" and "Username" both give login');
  });

  it('parses --map entries, the last "=" separating the field', () => {
    expect(parseColumnMap('a=b=email, Given = firstName ,')).toEqual({ 'a=b': 'email', given: 'firstName' });
    expect(() => parseColumnMap('email')).toThrow('invalid --map entry "email"');
    expect(() => parseColumnMap(' , ')).toThrow('--map names no column');
    expect(() => parseProvider('onelogin')).toThrow('unknown provider "onelogin"');
  });

  it('maps states per provider; ours alone without one', () => {
    expect(mapState('locked_out', { provider: 'okta' })).toBe('ACTIVE');
    expect(mapState('Deprovisioned', { provider: 'okta' })).toBe('DISABLED');
    expect(mapState('FaLsE', { provider: 'entra' })).toBe('DISABLED');
    expect(mapState('Suspended', { provider: 'google' })).toBe('DISABLED');
    expect(() => mapState('Suspended', { map: { x: 'state' } })).toThrow('unknown state "Suspended"');
    expect(() => mapState('DELETED', { provider: 'google' })).toThrow('unknown state "DELETED"');
  });

  it("reads the Okta Admin Console's and Google's other spellings of states", () => {
    for (const [raw, want] of [['Password Expired', 'ACTIVE'], ['Locked out', 'ACTIVE'], ['Pending user action', 'ACTIVE'], ['Deactivated', 'DISABLED'], ['locked-out', 'ACTIVE']] as const) {
      expect(mapState(raw, { provider: 'okta' }), raw).toBe(want);
    }
    expect(mapState('Archived', { provider: 'google' })).toBe('DISABLED');
    expect(() => mapState('Retired', { provider: 'okta' })).toThrow('unknown state "Retired"');
  });
});
