import { describe, expect, it } from 'vitest';
import { SparseImage } from '../../disk/sparse-image.ts';
import { OPFS_CHUNK_BYTES, OPFS_WRITE_CACHE_BYTES, OpfsStore } from './store.ts';
import { FakeSyncHandle as FakeHandle } from './test-support/fake-sync-handle.ts';


describe('OpfsStore', () => {
  it('coalesces consecutive small writes into one handle write', () => {
    const handle = new FakeHandle();
    const store = new OpfsStore(handle, 'x.img', 'a test handle');
    for (let i = 0; i < 64; i++) store.write(4096 + i * 512, new Uint8Array(512).fill(i & 0xff));
    expect(handle.writes).toBe(0);
    store.flush();
    expect(handle.writes).toBe(1);
    // The first chunk is slot 0: file position = image offset.
    expect(handle.bytes[4096 + 3 * 512]).toBe(3);
  });

  it('reads what was written, cached or not, and zeros past the end', () => {
    const handle = new FakeHandle();
    const store = new OpfsStore(handle, 'x.img', 'a test handle');
    store.write(10, new Uint8Array([1, 2, 3]));
    store.write(11, new Uint8Array([9])); // overlapping: stays in the cache
    const out = new Uint8Array(6).fill(0xee);
    store.read(9, out);
    expect([...out]).toEqual([0, 1, 9, 3, 0, 0]);
    store.write(OPFS_WRITE_CACHE_BYTES * 3, new Uint8Array([7]));
    store.flush();
    // The second chunk written takes the next slot, right after the first.
    expect(handle.bytes[OPFS_CHUNK_BYTES]).toBe(7);
    expect(store.slotPairs()).toEqual([0, 0, (OPFS_WRITE_CACHE_BYTES * 3) / OPFS_CHUNK_BYTES, 1]);
    const back = new Uint8Array(3);
    store.read(OPFS_WRITE_CACHE_BYTES * 3 - 1, back);
    expect([...back]).toEqual([0, 7, 0]);
    store.discard(0, OPFS_CHUNK_BYTES);
    store.read(9, out);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0]);
    store.close();
    expect(handle.closed).toBe(true);
  });

  it('backs a sparse image of 8 GiB holding a few writes', () => {
    const handle = new FakeHandle();
    const image = new SparseImage(8 * 1024 ** 3, new OpfsStore(handle, 'x.img', 'a test handle'));
    image.write(1024 * 1024, new Uint8Array(4096).fill(1));
    image.write(2 * 1024 * 1024, new Uint8Array(OPFS_WRITE_CACHE_BYTES + 1).fill(2));
    expect(image.read(1024 * 1024 + 4095, 2)).toEqual(new Uint8Array([1, 0]));
    expect(image.read(2 * 1024 * 1024 + OPFS_WRITE_CACHE_BYTES, 1)[0]).toBe(2);
    // The file holds the chunks written, not the 8 GiB.
    expect(handle.bytes.length).toBeLessThanOrEqual(4096 + OPFS_WRITE_CACHE_BYTES + 2 * OPFS_CHUNK_BYTES);
  });
});
