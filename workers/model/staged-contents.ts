/**
 * How the web app stages a `CopyFiles=` source in OPFS, shared by the app (web/lib/contents-store.ts
 * writes it) and the engine (workers/hosts/opfs/tree.ts reads it): the files live in the directory
 * `<contentsDir>/<encodeURIComponent(source)>/`; what the browser knows beyond their bytes lives beside
 * it in `<encodeURIComponent(source)>#meta.json` (`#` never appears in an encoded name).
 */

/** What a staged source keeps besides its files. */
export interface StagedMeta {
  /**
   * The source is one archive (tar, tar.gz, tar.zst, cpio, zip) staged under this file name: the
   * engine unpacks it at build time with its modes, owners, times and symlinks.
   */
  archive?: string;
  /** Each staged file's modification time (Unix seconds, from `File.lastModified`), by path below the source. */
  mtimes?: Record<string, number>;
  /** Entries the browser reported but could not read (often symlinks or special files), by path. */
  unreadable?: string[];
}

/** The OPFS directory name of a staged source. */
export function stagedSourceName(source: string): string {
  return encodeURIComponent(source);
}

/** The OPFS file name of a staged source's metadata. */
export function stagedMetaName(source: string): string {
  return `${encodeURIComponent(source)}#meta.json`;
}

/** File names taken as content archives when dropped or picked (the engine tells the format by the bytes). */
export const CONTENT_ARCHIVE_NAME = /\.(tar|tar\.gz|tgz|tar\.zst|tar\.zstd|tzst|cpio|cpio\.gz|cpio\.zst|zip)$/i;

/** The source name an archive gets: its file name without the archive extension (`rootfs.tar.gz` → `rootfs`). */
export function archiveBaseName(fileName: string): string {
  return fileName.replace(CONTENT_ARCHIVE_NAME, '') || fileName;
}

/** The staged metadata from the sidecar's text; anything unreadable counts as none. */
export function parseStagedMeta(text: string): StagedMeta {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    const meta: StagedMeta = {};
    if (typeof o.archive === 'string' && o.archive !== '' && !o.archive.includes('/')) meta.archive = o.archive;
    if (typeof o.mtimes === 'object' && o.mtimes !== null) {
      meta.mtimes = Object.fromEntries(Object.entries(o.mtimes).filter(([, t]) => Number.isSafeInteger(t) && (t as number) >= 0)) as Record<string, number>;
    }
    if (Array.isArray(o.unreadable)) meta.unreadable = o.unreadable.filter((p): p is string => typeof p === 'string');
    return meta;
  } catch {
    return {};
  }
}
