/**
 * Builds a preset into a raw image file the way the CLI does: a copy source folder holding the
 * files the preset names (PRESET_INPUTS) and the files it brings (`preset.files`), the engine over
 * Node files; a Table=iso preset through the ISO builder.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildBootableImage, type BootBuildResult } from '../../workers/boot/index.ts';
import { buildImage } from '../../workers/build/build-image.ts';
import { buildIsoImage, type IsoReport } from '../../workers/build/build-iso.ts';
import type { BuildInputs } from '../../workers/build/build-image.ts';
import type { Preset } from '../../workers/model/presets/index.ts';
import { FileSource } from '../../workers/hosts/node/file.ts';
import { readTree } from '../../workers/hosts/node/tree.ts';
import { writeOutputFiles as writeOutput } from '../../workers/hosts/node/outputs.ts';
import { loadNodeTool } from '../../workers/hosts/node/tools.ts';
import type { ImagePlan } from '../../workers/plan/types.ts';

/** Put `files` (copy-source path → host file or text) into `dir`. */
export function stageCopySource(dir: string, files: Record<string, string | { text: string }>): void {
  for (const [path, from] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, target);
    else writeFileSync(target, from.text);
  }
}

export function nodeInputs(copySource: string): BuildInputs & { close(): void } {
  const opened: FileSource[] = [];
  return {
    open(p) {
      const s = new FileSource(join(copySource, p));
      opened.push(s);
      return s;
    },
    openTree(p) {
      return readTree(join(copySource, p));
    },
    close() {
      for (const s of opened) s.close();
    },
  };
}

export async function buildPreset(preset: Preset, copySource: string, out: string): Promise<{ plan: ImagePlan; boot: BootBuildResult | undefined; iso?: IsoReport }> {
  stageCopySource(copySource, Object.fromEntries(Object.entries(preset.files ?? {}).map(([p, text]) => [p, { text }])));
  const inputs = nodeInputs(copySource);
  try {
    if (preset.spec.table === 'iso') {
      const result = buildIsoImage(preset.spec, inputs);
      await writeOutput(result.image, result.plan, 'raw', out);
      return { plan: result.plan, boot: undefined, iso: result.report };
    }
    if (preset.boot) {
      const result = buildBootableImage(preset.spec, preset.boot, inputs, { loadTool: loadNodeTool });
      await writeOutput(result.image, result.plan, 'raw', out);
      return { plan: result.plan, boot: result };
    }
    const result = buildImage(preset.spec, inputs, { loadTool: loadNodeTool });
    await writeOutput(result.image, result.plan, 'raw', out);
    return { plan: result.plan, boot: undefined };
  } finally {
    inputs.close();
  }
}
