/**
 * The file system a definition gets when it names none (partition_read_definition()): a definition
 * that puts contents in (CopyFiles=, MakeDirectories=, MakeSymlinks=) or encrypts without
 * CopyBlocks= gets ext4 — in the newest repart vfat on esp/xbootldr — and the newest repart formats
 * every swap partition as swap. repart 252 knew only the ext4 rule.
 */
import { partitionTypeByGuid, resolvePartitionType, type Architecture } from './partition-types.ts';
import type { PartitionSpec, RepartVersion } from './spec.ts';

export function impliedFormat(p: PartitionSpec, version: RepartVersion, architecture: Architecture = 'x86-64'): string | undefined {
  if (p.format !== undefined) return p.format;
  const role = partitionTypeByGuid(resolvePartitionType(p.type, architecture)?.guid ?? '')?.role;
  if (version === 'latest' && role === 'swap' && p.copyBlocks === undefined) return 'swap';
  const populates = (p.copyFiles?.length ?? 0) > 0 || (p.makeDirectories?.length ?? 0) > 0 || (p.makeSymlinks?.length ?? 0) > 0;
  const encrypted = p.encrypt !== undefined && p.encrypt !== 'off' && p.encrypt !== 'no';
  if (!populates && !(encrypted && p.copyBlocks === undefined)) return undefined;
  if (p.copyBlocks !== undefined) return undefined;
  return version === 'latest' && (role === 'esp' || role === 'xbootldr') ? 'vfat' : 'ext4';
}
