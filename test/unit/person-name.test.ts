import { describe, expect, it } from 'vitest';
import { validatePersonName } from '../../src/domain/person-name.js';

const ZWNJ = '\u200c';
const ZWJ = '\u200d';
const refused = (name: string, cp: string) => expect(() => validatePersonName('lastName', name)).toThrow(`lastName contains an invisible or control character (${cp})`);

describe("people's names: RFC 5892 CONTEXTJ", () => {
  it('a ZWNJ between joining Arabic-script letters passes (Persian spelling), and is kept', () => {
    for (const name of [`می${ZWNJ}خواهم`, `نامه${ZWNJ}ای`, `علی${ZWNJ}پور`, `خانه${ZWNJ}ها`]) expect(validatePersonName('lastName', name)).toBe(name);
  });

  it('a transparent mark between the letter and the ZWNJ does not matter', () => {
    const name = `مُ${ZWNJ}حمد`; // damma (U+064F, Mn) after meem
    expect(validatePersonName('lastName', name)).toBe(name);
  });

  it('a ZWNJ or ZWJ after a virama passes (Devanagari, Malayalam)', () => {
    for (const name of [`क्${ZWNJ}ष`, `क्${ZWJ}ष`, `ന്${ZWJ}`.concat('ന')]) expect(validatePersonName('firstName', name)).toBe(name);
  });

  it('at either end, between Latin letters, after a right-joining letter, or a ZWJ between letters: refused with the one-line message', () => {
    refused(`${ZWNJ}علی`, 'U+200C');
    refused(`علی${ZWNJ}`, 'U+200C');
    refused(`Ada${ZWNJ}Lovelace`, 'U+200C');
    refused(`Ada${ZWJ}Lovelace`, 'U+200D');
    refused(`دا${ZWNJ}ود`, 'U+200C'); // after alef, which joins only to the letter before it
    refused(`می${ZWJ}خواهم`, 'U+200D');
    refused(`क्${ZWNJ}`, 'U+200C');
  });

  it('every other invisible character is still refused, joiners allowed or not', () => {
    refused(`می${ZWNJ}خوا\u200bهم`, 'U+200B');
    refused('A\u00adda', 'U+00AD');
  });

  it('is stored NFC', () => {
    expect(validatePersonName('firstName', 'Rene\u0301e')).toBe('Ren\u00e9e');
    expect(validatePersonName('firstName', undefined)).toBeUndefined();
  });
});
