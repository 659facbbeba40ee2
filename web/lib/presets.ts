/**
 * Presets are the checked-in examples (examples/NAME/*.conf), read with the same repart.d importer
 * as any imported directory, so a preset and `partwright build examples/NAME` mean the same thing.
 * Blob files an example ships (examples/NAME/blobs/*.bin) come along as assets.
 */
import { parseRepartDirectory } from '../../workers/model/repart-conf.ts';
import type { ImageSpec } from '../../workers/model/spec.ts';

const confTexts = import.meta.glob<string>('../../examples/*/*.conf', { query: '?raw', import: 'default', eager: true });
const blobUrls = import.meta.glob<string>('../../examples/*/blobs/*.bin', { query: '?url', import: 'default', eager: true });
/** Content folders the presets copy from (CopyFiles= sources), but never the generated boot assets. */
const contentUrls = import.meta.glob<string>(['../../examples/esp-vfat/content/**/*', '../../examples/iso-hybrid/content/**/*', '../../examples/iso-hybrid/esp/**/*'], {
  query: '?url',
  import: 'default',
  eager: true,
});

export interface Preset {
  id: string;
  title: string;
  /** Files the layout names that come with the preset: path as written in the spec → URL. */
  files: Record<string, string>;
  /** `CopyFiles=` sources that come with the preset: source path → (path below it → URL). */
  trees: Record<string, Record<string, string>>;
  spec(): ImageSpec;
}

const TITLES: Record<string, string> = {
  'gpt-disk': 'repart GPT disk (ESP, root, swap, home)',
  'mbr-disk': 'SD card, MBR (firmware + root, logical partitions)',
  'hybrid-mbr': 'Hybrid MBR (ESP mirrored for MBR-only firmware)',
  'blobs-at-offsets': 'Boot blobs at offsets (SPL, U-Boot)',
  'esp-vfat': 'ESP with files (FAT32, CopyFiles=)',
  'iso-hybrid': 'Installer ISO (ISO9660, El Torito EFI image)',
};

/** ISO settings that name the Debian boot files `npm run assets` fetches: presets leave them out. */
function withoutMissingSources(spec: ImageSpec, trees: Record<string, Record<string, string>>): ImageSpec {
  return {
    ...spec,
    partitions: spec.partitions.map((p) => {
      const copyFiles = p.copyFiles?.filter((c) => trees[c.source] !== undefined);
      const { isoBiosBoot: _b, isoHybridMbr: _h, isoFileOrder: _o, ...rest } = p;
      const out = p.format === 'iso9660' ? rest : { ...p };
      if (copyFiles?.length) out.copyFiles = copyFiles;
      else delete out.copyFiles;
      return out;
    }),
  };
}

function examplePreset(id: string): Preset {
  const prefix = `../../examples/${id}/`;
  const files: Record<string, string> = {};
  for (const [path, url] of Object.entries(blobUrls)) if (path.startsWith(prefix)) files[path.slice(prefix.length)] = url;
  const trees: Record<string, Record<string, string>> = {};
  for (const [path, url] of Object.entries(contentUrls)) {
    if (!path.startsWith(prefix)) continue;
    const [top, ...rest] = path.slice(prefix.length).split('/');
    (trees[`/${top}`] ??= {})[rest.join('/')] = url;
  }
  return {
    id,
    title: TITLES[id] ?? id,
    files,
    trees,
    spec() {
      const confs = Object.entries(confTexts)
        .filter(([path]) => path.startsWith(prefix))
        .map(([path, text]) => ({ name: path.slice(prefix.length), text }));
      const spec = parseRepartDirectory(confs).spec;
      return Object.keys(trees).length ? withoutMissingSources(spec, trees) : spec;
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
