/**
 * Every binary parser under fuzzing (fast-check, workers/test-support/fuzz.ts): GPT, MBR, whole-disk
 * inspection, Android sparse, qcow2, VHD, bmap, ISO 9660 and FAT, each fed mutated copies of a valid
 * sample its own writer made (plus random bytes). The property: a parser returns, or throws a coded
 * PartwrightError — never a RangeError, TypeError, stack overflow or hang. Short in `npm test`;
 * `npm run fuzz` runs each for FUZZ_SECONDS.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { isPartwrightError } from '../model/errors.ts';
import { SparseImage } from '../disk/sparse-image.ts';
import { encodeGpt, decodeGpt } from './gpt/index.ts';
import { encodeMbr, decodeMbr } from './mbr/index.ts';
import { readFromBytes, regionsToBytes } from './table-region.ts';
import { inspectImage } from '../build/inspect-image.ts';
import { androidSparseChunks, decodeAndroidSparse, planAndroidSparse } from './outputs/android-sparse.ts';
import { decodeQcow2Header, qcow2Chunks } from './outputs/qcow2.ts';
import { decodeVhdDynamicHeader, decodeVhdFooter, vhdDynamicChunks } from './outputs/vhd.ts';
import { decodeBmapXml, makeBmap } from './outputs/bmap.ts';
import { decodeIso, planIso, readIsoFile, writeIso, type IsoEntryInput } from './iso9660/index.ts';
import { readFat } from './fat/reader.ts';
import { writeFat } from './fat/writer.ts';
import type { FatEntryInput } from './fat/layout.ts';
import { fuzzAssert, fuzzOptions, fuzzTimeoutMs } from '../test-support/fuzz.ts';
import { mutatedBytes } from '../test-support/mutate.ts';

/** Run `parse`; only coded errors may escape. */
function codedOnly(parse: () => void): void {
  try {
    parse();
  } catch (e) {
    if (isPartwrightError(e)) return;
    throw e;
  }
}

function concat(chunks: Iterable<Uint8Array>): Uint8Array {
  const parts = [...chunks];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const KiB = 1024;
const GUID = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

function gptSample(): Uint8Array {
  const sizeBytes = 256 * 512;
  return regionsToBytes(encodeGpt({
    diskGuid: GUID(1), sectorSizeBytes: 512, diskSizeBytes: sizeBytes, firstUsableLba: 34, lastUsableLba: 256 - 34,
    partitions: [
      { typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', uniqueGuid: GUID(2), firstLba: 40, lastLba: 99, name: 'ESP' },
      { typeGuid: '0fc63daf-8483-4772-8e79-3d69d8477de4', uniqueGuid: GUID(3), firstLba: 100, lastLba: 200, name: 'data', attributes: 1n << 60n },
    ],
  }), sizeBytes);
}

function mbrSample(): Uint8Array {
  const sizeBytes = 512 * 512;
  return regionsToBytes(encodeMbr({
    diskId: 0x12345678, sectorSizeBytes: 512, diskSizeBytes: sizeBytes,
    primary: [{ type: 0x0c, firstLba: 8, sectorCount: 64, bootable: true }, { type: 0x05, firstLba: 80, sectorCount: 400 }],
    logical: [{ type: 0x83, firstLba: 96, sectorCount: 100 }, { type: 0x83, firstLba: 256, sectorCount: 200 }],
  }), sizeBytes);
}

function dataImage(): SparseImage {
  const image = new SparseImage(4 << 20);
  image.write(0, new Uint8Array(4096).fill(0xab));
  image.write(1 << 20, new Uint8Array(8192).map((_, i) => i & 0xff));
  image.write((4 << 20) - 512, new Uint8Array(512).fill(1));
  return image;
}

function isoSample(): Uint8Array {
  const file = (path: string, text: string): IsoEntryInput => {
    const bytes = new TextEncoder().encode(text);
    return { path, kind: 'file', sizeBytes: bytes.length, mode: 0o644, uid: 0, gid: 0, read: (o, t) => t.set(bytes.subarray(o, o + t.length)) };
  };
  const entries: IsoEntryInput[] = [
    file('a.txt', 'hello'), file('dir/sub/b.txt', 'B'.repeat(3000)), file('boot/x.bin', 'X'.repeat(2048)),
    { path: 'link', kind: 'symlink', sizeBytes: 0, mode: 0o777, uid: 0, gid: 0, target: 'dir/sub/b.txt' },
  ];
  const plan = planIso(entries, { volumeId: 'FUZZ', sourceDateEpoch: 0, boot: { bios: { path: 'boot/x.bin' } } });
  const image = new SparseImage(plan.sizeBytes);
  writeIso(image, plan);
  return image.read(0, image.sizeBytes);
}

function fatSample(): Uint8Array {
  const file = (name: string, sizeBytes: number): FatEntryInput => ({ kind: 'file', name, sizeBytes, read: (o, t) => t.fill(0x41 + (o % 7)) });
  const tree: FatEntryInput[] = [
    file('readme.txt', 100),
    { kind: 'dir', name: 'EFI', children: [{ kind: 'dir', name: 'BOOT', children: [file('BOOTX64.EFI', 5000)] }, file('A long file name.conf', 20)] },
  ];
  const sizeBytes = 2 << 20;
  const image = new SparseImage(sizeBytes);
  writeFat(image, 0, { sizeBytes, volumeId: 1, epochSeconds: 0, label: 'FUZZ' }, tree);
  // Only the metadata area matters to mutations; keep the sample small.
  return image.read(0, 256 * KiB);
}

const T = fuzzTimeoutMs();

describe('binary parsers under fuzzing: coded errors only', () => {
  it('GPT (decodeGpt)', () => {
    const sample = gptSample();
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => decodeGpt(readFromBytes(b), sample.length, 512))), fuzzOptions('gpt', 300));
  }, T);

  it('MBR with EBR chain (decodeMbr)', () => {
    const sample = mbrSample();
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => decodeMbr(readFromBytes(b), sample.length, 512))), fuzzOptions('mbr', 300));
  }, T);

  it('whole-disk inspection (inspectImage: MBR, GPT, hybrid, blobs)', () => {
    const samples = [gptSample(), mbrSample()];
    fuzzAssert(fc.property(mutatedBytes(samples), (b) => codedOnly(() => inspectImage({ sizeBytes: b.length, read: (o, t) => t.set(b.subarray(o, o + t.length)) }))), fuzzOptions('inspect', 300));
  }, T);

  it('Android sparse (decodeAndroidSparse)', () => {
    const image = dataImage();
    const sample = concat(androidSparseChunks(image, planAndroidSparse(image)));
    const sink = { write() {} };
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => decodeAndroidSparse(b, sink, { maxImageBytes: 64 << 20 }))), fuzzOptions('android-sparse', 300));
  }, T);

  it('qcow2 header (decodeQcow2Header)', () => {
    const sample = concat(qcow2Chunks(dataImage())).subarray(0, 64 * KiB);
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => decodeQcow2Header(b))), fuzzOptions('qcow2', 300));
  }, T);

  it('VHD footer and dynamic header', () => {
    const identity = { creatorApplication: 'win ', creatorVersion: 0x000a0000, creatorHostOs: 'Wi2k', timestampUnixSeconds: 946_684_800, uniqueId: new Uint8Array(16).fill(7) };
    const vhd = concat(vhdDynamicChunks(dataImage(), identity));
    const footer = vhd.subarray(vhd.length - 512);
    const header = vhd.subarray(512, 512 + 1024);
    fuzzAssert(fc.property(mutatedBytes([footer, header]), (b) => {
      codedOnly(() => decodeVhdFooter(b));
      codedOnly(() => decodeVhdDynamicHeader(b));
    }), fuzzOptions('vhd', 300));
  }, T);

  it('bmap XML (decodeBmapXml)', () => {
    const sample = new TextEncoder().encode(makeBmap(dataImage()));
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => decodeBmapXml(new TextDecoder().decode(b)))), fuzzOptions('bmap', 300));
  }, T);

  it('ISO 9660 + Rock Ridge + El Torito (decodeIso, readIsoFile)', () => {
    const sample = isoSample();
    fuzzAssert(fc.property(mutatedBytes([sample]), fc.constantFrom('rock-ridge' as const, 'iso' as const, 'joliet' as const), (b, tree) => codedOnly(() => {
      const read = readFromBytes(b);
      const iso = decodeIso(read, { tree });
      for (const e of iso.entries.slice(0, 32)) {
        if (e.kind === 'file' && e.sizeBytes <= 1 << 20) readIsoFile(read, e, 0, new Uint8Array(e.sizeBytes));
      }
    })), fuzzOptions('iso9660', 200));
  }, T);

  it('FAT (readFat, walk, readFile)', () => {
    const sample = fatSample();
    fuzzAssert(fc.property(mutatedBytes([sample]), (b) => codedOnly(() => {
      const fat = readFat(readFromBytes(b));
      for (const e of fat.walk().slice(0, 64)) {
        if (e.kind === 'file' && e.sizeBytes <= 1 << 20) fat.readFile(e, 0, new Uint8Array(e.sizeBytes));
      }
    })), fuzzOptions('fat', 200));
  }, T);
});
