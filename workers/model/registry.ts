/**
 * The one registry of what Partwright makes: the file systems `Format=` can name (and the WASM tool
 * each loads on first use) and the output formats a build can be written in. Plain data, so the
 * engine (workers/build/filesystems.ts binds one maker per row, checked by the compiler), the CLI's
 * `--help` and validation, and the app's Format field and download menu all read the same list.
 *
 * Adding a file system: one row here, one maker in workers/build/filesystems.ts (and its tool in
 * workers/tools/ if it needs one).
 */

/** The WASM tools the engine loads lazily (workers/tools/wasm-tools.ts says where each lives). */
export type ToolName = 'mke2fs' | 'zstd' | 'mkfs.erofs' | 'zlib' | 'xz' | 'sha256-lanes';

export interface FileSystemRow {
  /** The `Format=` value. */
  readonly name: string;
  /** For menus and help. */
  readonly title: string;
  /** The WASM tool that makes it, loaded only when a layout needs it; undefined: written in TypeScript. */
  readonly tool: ToolName | undefined;
  /** `Compression=` values that need a WASM tool of their own (squashfs zstd → zstd). */
  readonly compressionTools?: Readonly<Record<string, ToolName>>;
}

export const FILE_SYSTEMS = [
  { name: 'vfat', title: 'FAT12/16/32 (ESP, XBOOTLDR, firmware partitions)', tool: undefined },
  { name: 'ext4', title: 'ext4 (root, /usr, /home)', tool: 'mke2fs' },
  { name: 'squashfs', title: 'squashfs (read-only, compressed: gzip, zstd or xz; Nix store images)', tool: 'zlib', compressionTools: { zstd: 'zstd', xz: 'xz' } },
  { name: 'erofs', title: 'erofs (read-only; uncompressed, lz4, lz4hc or lzma; /usr and store images)', tool: 'mkfs.erofs' },
  { name: 'swap', title: 'Linux swap area', tool: undefined },
] as const satisfies readonly FileSystemRow[];

export type FileSystemName = (typeof FILE_SYSTEMS)[number]['name'];

/** `Format=iso9660` is not a partition file system: it is the whole image of a `Table=iso` layout. */
export const ISO_FORMAT = 'iso9660';

/** Every `Format=` value a layout may use: the file systems and, for Table=iso, iso9660. */
export const FORMAT_NAMES: readonly string[] = [...FILE_SYSTEMS.map((f) => f.name), ISO_FORMAT];

export function fileSystemRow(name: string): FileSystemRow | undefined {
  return FILE_SYSTEMS.find((f) => f.name === name);
}

export interface OutputFormatRow {
  readonly name: string;
  /** What the app's download menu says. */
  readonly label: string;
  /** The download's file-name suffix (the app appends it to the layout's name). */
  readonly suffix: string;
  /** The WASM tool it needs, if any. */
  readonly tool: ToolName | undefined;
  /** Writes one file per partition, not an image: not offered by `convert` (no table to split by). */
  readonly needsPlan: boolean;
}

export const OUTPUT_FORMATS = [
  { name: 'raw', label: 'raw .img', suffix: '.img', tool: undefined, needsPlan: false },
  { name: 'gz', label: '.img.gz (gzip)', suffix: '.img.gz', tool: undefined, needsPlan: false },
  { name: 'zst', label: '.img.zst (zstd)', suffix: '.img.zst', tool: 'zstd', needsPlan: false },
  { name: 'android-sparse', label: 'Android sparse (.simg, fastboot)', suffix: '.simg', tool: undefined, needsPlan: false },
  { name: 'bmap', label: 'raw + .bmap (bmaptool)', suffix: '.img', tool: undefined, needsPlan: false },
  { name: 'qcow2', label: 'qcow2 (QEMU)', suffix: '.qcow2', tool: undefined, needsPlan: false },
  { name: 'vhd', label: 'VHD fixed (Hyper-V, Azure)', suffix: '.vhd', tool: undefined, needsPlan: false },
  { name: 'vhd-dynamic', label: 'VHD dynamic', suffix: '.vhd', tool: undefined, needsPlan: false },
  { name: 'split', label: 'one .raw per partition (repart --split)', suffix: '.raw', tool: undefined, needsPlan: true },
] as const satisfies readonly OutputFormatRow[];

export type OutputFormat = (typeof OUTPUT_FORMATS)[number]['name'];

export const OUTPUT_FORMAT_NAMES: readonly OutputFormat[] = OUTPUT_FORMATS.map((f) => f.name);

export function isOutputFormat(name: string): name is OutputFormat {
  return (OUTPUT_FORMAT_NAMES as readonly string[]).includes(name);
}

export function outputFormatRow(name: OutputFormat): OutputFormatRow {
  return OUTPUT_FORMATS.find((f) => f.name === name)!;
}

/** The tools a layout's file systems need (what a host loads before the build). */
export function toolsForFormats(formats: Iterable<string | undefined>): ToolName[] {
  return toolsForPartitions([...formats].map((format) => ({ format })));
}

/**
 * The tools a layout's partitions need: their file systems' and their `Compression=`'s, and the
 * verity tree's SHA-256 (`Verity=hash`: sha256-lanes, four blocks per SIMD vector).
 */
export function toolsForPartitions(partitions: Iterable<{ format?: string | undefined; compression?: string | undefined; verity?: string | undefined }>): ToolName[] {
  const out = new Set<ToolName>();
  for (const p of partitions) {
    if (p.verity === 'hash') out.add('sha256-lanes');
    const row = p.format === undefined ? undefined : fileSystemRow(p.format);
    if (row?.tool) out.add(row.tool);
    const extra = p.compression === undefined ? undefined : row?.compressionTools?.[p.compression];
    if (extra) out.add(extra);
  }
  return [...out];
}
