/**
 * `/nix-path-registration`: what nixpkgs' closureInfo writes (`$out/registration`) and a NixOS
 * first boot feeds to `nix-store --load-db`. Per path, one value a line: the store path, its NAR
 * hash (`sha256:<base-32>`), its NAR size, the deriver (closureInfo leaves it empty), the number of
 * references, then each reference. Paths in store-path order, references sorted, one final newline.
 * Built from narinfo fields alone.
 */
import { formatSha256, type NarInfo } from './narinfo.ts';

export type RegistrationPath = Pick<NarInfo, 'storePath' | 'narHash' | 'narSizeBytes' | 'references' | 'deriver'>;

export interface RegistrationOptions {
  /** Write each path's deriver instead of an empty line (closureInfo writes it empty). */
  withDeriver?: boolean;
}

export function encodeNixPathRegistration(paths: readonly RegistrationPath[], options: RegistrationOptions = {}): string {
  const lines: string[] = [];
  const sorted = [...paths].sort((a, b) => (a.storePath < b.storePath ? -1 : a.storePath > b.storePath ? 1 : 0));
  for (const p of sorted) {
    const refs = [...p.references].sort();
    lines.push(p.storePath, formatSha256(p.narHash), String(p.narSizeBytes), options.withDeriver ? (p.deriver ?? '') : '', String(refs.length), ...refs);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
