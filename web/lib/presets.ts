/**
 * Presets are the checked-in examples (examples/NAME/*.conf), read with the same repart.d importer
 * as any imported directory, so a preset and `partwright build examples/NAME` mean the same thing.
 * Blob files an example ships (examples/NAME/blobs/*.bin) come along as assets.
 */
import { parseRepartDirectory } from '../../workers/model/repart-conf.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';

const confTexts = import.meta.glob<string>('../../examples/*/*.conf', { query: '?raw', import: 'default', eager: true });
const blobUrls = import.meta.glob<string>('../../examples/*/blobs/*.bin', { query: '?url', import: 'default', eager: true });

export interface Preset {
  id: string;
  title: string;
  /** Files the layout names that come with the preset: path as written in the spec → URL. */
  files: Record<string, string>;
  spec(): ImageSpec;
}

const TITLES: Record<string, string> = {
  'gpt-disk': 'repart GPT disk (ESP, root, swap, home)',
  'mbr-disk': 'SD card, MBR (firmware + root, logical partitions)',
  'hybrid-mbr': 'Hybrid MBR (ESP mirrored for MBR-only firmware)',
  'blobs-at-offsets': 'Boot blobs at offsets (SPL, U-Boot)',
};

function examplePreset(id: string): Preset {
  const prefix = `../../examples/${id}/`;
  const files: Record<string, string> = {};
  for (const [path, url] of Object.entries(blobUrls)) if (path.startsWith(prefix)) files[path.slice(prefix.length)] = url;
  return {
    id,
    title: TITLES[id] ?? id,
    files,
    spec() {
      const confs = Object.entries(confTexts)
        .filter(([path]) => path.startsWith(prefix))
        .map(([path, text]) => ({ name: path.slice(prefix.length), text }));
      return parseRepartDirectory(confs).spec;
    },
  };
}

export const PRESETS: readonly Preset[] = Object.keys(TITLES).map(examplePreset);

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** A new, empty GPT layout. */
export function blankSpec(): ImageSpec {
  return { table: 'gpt', partitions: [] };
}
