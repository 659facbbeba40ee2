import { describe, expect, it } from 'vitest';
import { bytesToUuid, decodeGuid, encodeGuid, normalizeGuidText, uuidToBytes } from './guid.ts';

describe('guid', () => {
  it('stores the ESP type GUID in GPT mixed-endian order (UEFI appendix A)', () => {
    const disk = encodeGuid('c12a7328-f81f-11d2-ba4b-00a0c93ec93b');
    expect(Buffer.from(disk).toString('hex')).toBe('28732ac11ff8d211ba4b00a0c93ec93b');
    expect(decodeGuid(disk)).toBe('c12a7328-f81f-11d2-ba4b-00a0c93ec93b');
  });

  it('converts string-order bytes both ways and normalises text', () => {
    const bytes = uuidToBytes('0867DA16-F251-457D-A9E8-C31F9A3C220B');
    expect(Buffer.from(bytes).toString('hex')).toBe('0867da16f251457da9e8c31f9a3c220b');
    expect(bytesToUuid(bytes)).toBe('0867da16-f251-457d-a9e8-c31f9a3c220b');
    expect(normalizeGuidText('0867da16f251457da9e8c31f9a3c220b')).toBe('0867da16-f251-457d-a9e8-c31f9a3c220b');
  });

  it('rejects text that is not a GUID', () => {
    expect(() => uuidToBytes('not-a-guid')).toThrow(/not a GUID/);
  });
});
