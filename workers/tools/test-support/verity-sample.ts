/**
 * Layouts with squashfs, erofs, swap and dm-verity (hash and signature partitions) built through
 * buildImageSigned from repart.d texts and a serialized content tree, so the Node test and the
 * Chromium worker build the same definitions from the same bytes and compare digests: examples/verity-usr
 * as it is, and a squashfs (zstd, xz) + erofs + verity + swap layout over its content. DOM-free, Node-free.
 */
import { buildImageSigned } from '../../build/build-image.ts';
import type { InputDir, InputEntry } from '../../build/input-tree.ts';
import { createVeritySigner } from '../../crypto/verity-signer.ts';
import type { ToolName } from '../../model/registry.ts';
import { parseRepartDirectory, type ConfFile } from '../../model/repart-conf/import.ts';
import { imageDigest } from './sample-tree.ts';

/** A content tree as plain data (crosses postMessage): files carry their bytes. */
export type PlainEntry =
  | { kind: 'file'; name: string; mode: number; uid: number; gid: number; mtimeSeconds: number; bytes: Uint8Array }
  | { kind: 'dir'; name: string; mode: number; uid: number; gid: number; mtimeSeconds: number; children: PlainEntry[] }
  | { kind: 'symlink'; name: string; mode: number; uid: number; gid: number; mtimeSeconds: number; target: string };

/** One layout to build: its definitions and the folder CopySource= names (as a tree). */
export interface VeritySampleLayout {
  name: string;
  confs: ConfFile[];
  copySource: PlainEntry;
}

export interface VeritySampleResult {
  digest: string;
  sizes: number[];
  types: string[];
  verity: { matchKey: string; rootHash: string }[];
}

/** The squashfs + erofs + verity + swap layout, over the same content folder as examples/verity-usr. */
export const ROFS_VERITY_CONFS: ConfFile[] = [
  { name: '10-root.conf', text: '[Partition]\nType=root\nFormat=squashfs\nCompression=zstd\nCopyFiles=/content:/\nMinimize=best\nVerity=data\nVerityMatchKey=root\n\n[X-Partwright-Disk]\nTable=gpt\nSize=auto\nSourceDateEpoch=1700000000\n' },
  { name: '20-root-verity.conf', text: '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nMinimize=best\n' },
  { name: '30-root-verity-sig.conf', text: '[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n' },
  { name: '40-usr.conf', text: '[Partition]\nType=usr\nFormat=erofs\nCopyFiles=/content:/\nMinimize=best\nVerity=data\nVerityMatchKey=usr\n' },
  { name: '50-usr-verity.conf', text: '[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\nMinimize=best\nVerityDataBlockSizeBytes=512\nVerityHashBlockSizeBytes=1024\n' },
  { name: '55-srv.conf', text: '[Partition]\nType=srv\nFormat=squashfs\nCompression=xz\nCopyFiles=/content:/\nMinimize=best\n' },
  { name: '60-swap.conf', text: '[Partition]\nType=swap\nFormat=swap\nLabel=swap0\nSizeMinBytes=16M\nSizeMaxBytes=16M\n' },
];

function toInput(e: PlainEntry): InputEntry {
  const meta = { name: e.name, mode: e.mode, uid: e.uid, gid: e.gid, mtimeSeconds: e.mtimeSeconds };
  if (e.kind === 'file') return { ...meta, kind: 'file', sizeBytes: e.bytes.length, read: (o, t) => t.set(e.bytes.subarray(o, o + t.length)) };
  if (e.kind === 'symlink') return { ...meta, kind: 'symlink', target: e.target };
  return { ...meta, kind: 'dir', children: e.children.map(toInput) };
}

function lookUp(root: PlainEntry, path: string): PlainEntry {
  let at = root;
  for (const part of path.split('/').filter(Boolean)) {
    const next = at.kind === 'dir' ? at.children.find((c) => c.name === part) : undefined;
    if (!next) throw new Error(`${path}: not in the sample's CopySource= folder`);
    at = next;
  }
  return at;
}

/** Builds one layout with the given tools and an RSA key pair (PKCS#1 v1.5 signatures are deterministic). */
export async function buildVeritySample(layout: VeritySampleLayout, loadTool: (name: ToolName) => WebAssembly.Module, key: { privateKeyPem: string; certificatePem: string }): Promise<VeritySampleResult> {
  const { spec, diagnostics } = parseRepartDirectory(layout.confs);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${layout.name}: ${errors.map((d) => d.message).join('; ')}`);
  const veritySigner = await createVeritySigner(key.privateKeyPem, key.certificatePem);
  const { image, plan, verity } = await buildImageSigned(spec, {
    open: (p) => { throw new Error(`${p}: no blobs in ${layout.name}`); },
    openTree: (p) => {
      const e = lookUp(layout.copySource, p);
      if (e.kind !== 'dir') throw new Error(`${p} is not a folder`);
      return toInput(e) as InputDir;
    },
  }, { loadTool, veritySigner });
  return { digest: imageDigest(image), sizes: plan.partitions.map((p) => p.sizeBytes), types: plan.partitions.map((p) => p.spec.type), verity: verity ?? [] };
}
