import { describe, expect, it } from 'vitest';
import { formatSize, formatSizeForConf, parseSize, parseSystemdInt32, parseSystemdUnsigned, tryParseSize } from './units.ts';

describe('parseSize (systemd parse_size, base 1024)', () => {
  it.each([
    ['4096', 4096],
    ['512M', 512 * 1024 ** 2],
    ['1.5G', 1.5 * 1024 ** 3],
    ['1T', 1024 ** 4],
    ['1K', 1024],
    ['10B', 10],
    ['1.05G', Math.floor(0.05 * 1024 ** 3) + 1024 ** 3],
    ['1G 512M', 1.5 * 1024 ** 3],
    ['1G512M', 1.5 * 1024 ** 3],
    [' 64 M', 64 * 1024 ** 2],
    ['+5K', 5120],
    ['10.M', 10 * 1024 ** 2],
    ['0', 0],
    ['7P', 7 * 1024 ** 5],
  ])('%s → %d', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '12Q', 'M', '1KB', '512M1G', '1e3', '0x10', 'abc', '1G ', '.5G'])('refuses %j', (text) => {
    expect(tryParseSize(text)).toBe('invalid');
    expect(() => parseSize(text)).toThrow(/Failed to parse size value/);
  });

  it.each(['-1', '-0', '16E', '8P', '99999999999999999999', String(2 ** 53)])('out of range: %s', (text) => {
    expect(tryParseSize(text)).toBe('range');
  });

  it('accepts the largest safe integer', () => {
    expect(parseSize(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatSize', () => {
  it('is for people', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(64 * 1024 ** 2)).toBe('64 MiB');
    expect(formatSize(Math.round(7.4 * 1024 ** 3))).toBe('7.40 GiB');
  });
  it('is exact for .conf files', () => {
    expect(formatSizeForConf(0)).toBe('0');
    expect(formatSizeForConf(1024 ** 3)).toBe('1G');
    expect(formatSizeForConf(1536 * 1024 ** 2)).toBe('1536M');
    expect(formatSizeForConf(4097)).toBe('4097');
    expect(formatSizeForConf(32 * 1024)).toBe('32K');
    expect(formatSizeForConf(2 ** 52)).toBe('4P');
    for (const n of [1, 4095, 10002432, 2 ** 53 - 1, 3 * 1024 ** 4 + 4096]) expect(parseSize(formatSizeForConf(n))).toBe(n);
    expect(() => formatSizeForConf(-1)).toThrow();
    expect(() => formatSizeForConf(1.5)).toThrow();
  });
});

describe('systemd integers (safe_atou64 / safe_atoi32)', () => {
  it('reads bases like strtoull(…, 0)', () => {
    expect(parseSystemdUnsigned('42')).toBe(42n);
    expect(parseSystemdUnsigned('0x1F')).toBe(31n);
    expect(parseSystemdUnsigned('010')).toBe(8n);
    expect(parseSystemdUnsigned('0b101')).toBe(5n);
    expect(parseSystemdUnsigned('0o17')).toBe(15n);
    expect(parseSystemdUnsigned(' +7')).toBe(7n);
    expect(parseSystemdUnsigned('-0')).toBe(0n);
    expect(parseSystemdUnsigned('18446744073709551615')).toBe(2n ** 64n - 1n);
  });
  it.each(['-1', '0x', '08', '1 ', 'abc', '18446744073709551616', '0x10000000000000000', ''])('refuses %j', (t) => {
    expect(parseSystemdUnsigned(t)).toBeUndefined();
  });
  it('int32', () => {
    expect(parseSystemdInt32('-5')).toBe(-5);
    expect(parseSystemdInt32('2147483647')).toBe(2147483647);
    expect(parseSystemdInt32('2147483648')).toBeUndefined();
    expect(parseSystemdInt32('-2147483648')).toBe(-2147483648);
  });
});
