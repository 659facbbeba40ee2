import { describe, expect, it } from 'vitest';
import { cleanLayoutName, describeSaveError, LayoutStore, type KeyValueBackend } from './layout-store.ts';

function memoryBackend(options: { failWrites?: boolean } = {}): KeyValueBackend & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: async <T>(k: string) => map.get(k) as T | undefined,
    set: async (k, v) => {
      if (options.failWrites) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      map.set(k, v);
    },
    del: async (k) => void map.delete(k),
    keys: async () => [...map.keys()],
  };
}

describe('LayoutStore', () => {
  it('keeps several named layouts, the current one and their files', async () => {
    const kv = memoryBackend();
    const store = new LayoutStore(kv);
    await store.save('pi', '{"table":"mbr","partitions":[]}\n');
    await store.save('laptop', '{"table":"gpt","partitions":[]}\n');
    await store.setCurrent('pi');
    await store.saveFile('pi', 'blobs/spl.bin', new Blob([new Uint8Array([1, 2, 3])]));
    expect(await store.names()).toEqual(['laptop', 'pi']);
    expect(await store.current()).toBe('pi');
    expect((await store.load('pi'))?.json).toContain('"mbr"');
    const files = await store.files('pi');
    expect(Object.keys(files)).toEqual(['blobs/spl.bin']);
    expect(files['blobs/spl.bin']!.size).toBe(3);
    expect(await store.files('laptop')).toEqual({});
    expect(await store.freeName('pi')).toBe('pi-2');
    expect(await store.preset('pi')).toBeUndefined();
    await store.savePreset('pi', 'sd-card');
    expect(await store.preset('pi')).toBe('sd-card');
    // A preset is not a layout name.
    expect(await store.names()).toEqual(['laptop', 'pi']);
    await store.remove('pi');
    expect(await store.preset('pi')).toBeUndefined();
    expect(await store.names()).toEqual(['laptop']);
    expect(await store.files('pi')).toEqual({});
  });

  it('a failed write rejects and keeps what was saved before', async () => {
    const kv = memoryBackend();
    const store = new LayoutStore(kv);
    await store.save('pi', 'old');
    const failing = new LayoutStore({ ...kv, set: memoryBackend({ failWrites: true }).set });
    const error = await failing.save('pi', 'new').catch((e: unknown) => e);
    expect(describeSaveError(error)).toMatch(/storage for this site is full.*last saved copy is kept/);
    expect((await store.load('pi'))?.json).toBe('old');
  });

  it('cleans layout names', () => {
    expect(cleanLayoutName('  my\ndisk  ')).toBe('mydisk');
    expect(cleanLayoutName('   ')).toBeUndefined();
    expect(cleanLayoutName('x'.repeat(100))).toHaveLength(64);
  });
});
