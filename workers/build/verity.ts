/**
 * dm-verity as systemd-repart builds it (repart.c: context_verity_hash, context_verity_sig;
 * repart.d(5) Verity=, VerityMatchKey=, Verity*BlockSizeBytes=, Minimize=):
 * - `Verity=data` / `hash` / `signature` partitions with the same `VerityMatchKey=` form one set; data
 *   and hash are required, the signature optional; siblings share a priority.
 * - The hash partition is computed over the data partition as written (format 1, SHA-256,
 *   superblock first). The data partition's UUID becomes the first 128 bits of the root hash, the
 *   hash partition's the last 128 bits, unless UUID= says otherwise.
 * - Salt and superblock UUID come from the seed as newer repart derives them (systemd#28695):
 *   salt = HMAC-SHA256(key = seed, "verity-salt"), UUID = v4(HMAC-SHA256(seed, "verity-uuid")).
 *   repart 252 salts randomly; Partwright never does, so the same inputs give the same bytes.
 * - `Minimize=` on the hash partition sizes it for the data partition's size, which must then be
 *   known before placement (the data partition sets Minimize= or CopyBlocks=, or a fixed size).
 */
import { hmacSha256, Sha256 } from '../crypto/sha256.ts';
import { ErrorCode, PartwrightError } from '../model/errors.ts';
import type { ImageSpec, PartitionSpec } from '../model/spec.ts';
import { uuidToBytes } from '../model/uuid.ts';
import type { SparseImage } from '../disk/sparse-image.ts';
import {
  DEFAULT_VERITY_BLOCK_BYTES, computeVerityTree, encodeVeritySuperblock, encodeVeritySignatureJson, toHex, verityGeometry,
  verityHashAreaBytes, type CreateSha256, type VerityHasher,
} from '../formats/verity/index.ts';
import { bytesToUuid, deriveUuid } from '../plan/uuid.ts';
import type { ImagePlan, PlannedPartition } from '../plan/types.ts';
import type { VeritySigner } from '../crypto/verity-signer.ts';
import type { ToolName } from '../model/registry.ts';
import { sha256LanesHasher } from '../tools/sha256-lanes.ts';

export type { VeritySigner } from '../crypto/verity-signer.ts';

export type VerityRole = 'data' | 'hash' | 'signature';

/** One verity set by spec index. */
export interface VeritySpecSet {
  matchKey: string;
  data: number;
  hash: number;
  signature: number | undefined;
}

function roleOf(p: PartitionSpec): VerityRole | undefined {
  const v = p.verity;
  return v === 'data' || v === 'hash' || v === 'signature' ? v : undefined;
}

/** Pairs the verity partitions of a spec by VerityMatchKey=, refusing what repart refuses. */
export function findVeritySets(spec: ImageSpec): VeritySpecSet[] {
  const byKey = new Map<string, Record<VerityRole, number[]>>();
  spec.partitions.forEach((p, i) => {
    const role = roleOf(p);
    const where = `partitions.${i}.verity`;
    if (p.verity !== undefined && p.verity !== 'off' && role === undefined) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Verity=${p.verity} is not one of off, data, hash, signature.`, { where });
    }
    if (role === undefined) {
      if (p.verityMatchKey !== undefined) throw new PartwrightError(ErrorCode.InvalidSpec, 'VerityMatchKey= can only be set if Verity= is not "off"', { where: `partitions.${i}.verityMatchKey` });
      return;
    }
    if (p.verityMatchKey === undefined || p.verityMatchKey === '') throw new PartwrightError(ErrorCode.InvalidSpec, `VerityMatchKey= must be set if Verity=${role}`, { where: `partitions.${i}.verityMatchKey` });
    if (role !== 'data' && (p.copyBlocks !== undefined || p.format !== undefined || p.copyFiles?.length || p.makeDirectories?.length || p.storePaths?.length)) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `CopyBlocks=/CopyFiles=/Format=/MakeDirectories= cannot be used with Verity=${role}`, { where });
    }
    if (p.encrypt !== undefined && p.encrypt !== 'off') throw new PartwrightError(ErrorCode.InvalidSpec, 'Encrypting verity hash/data partitions is not supported', { where });
    const set = byKey.get(p.verityMatchKey) ?? { data: [], hash: [], signature: [] };
    set[role].push(i);
    byKey.set(p.verityMatchKey, set);
  });
  const sets: VeritySpecSet[] = [];
  for (const [key, s] of byKey) {
    const first = [...s.data, ...s.hash, ...s.signature].sort((a, b) => a - b)[0]!;
    const other = (role: VerityRole) => (role === 'data' ? 'hash' : 'data');
    for (const role of ['data', 'hash', 'signature'] as const) {
      if (s[role].length > 1) {
        throw new PartwrightError(ErrorCode.InvalidSpec, `Multiple verity ${role} partitions found for verity ${other(role)} partition with VerityMatchKey=${key}`, { where: `partitions.${s[role][1]}.verityMatchKey` });
      }
    }
    for (const role of ['data', 'hash'] as const) {
      if (s[role].length === 0) {
        const have = s.data.length ? 'data' : s.hash.length ? 'hash' : 'signature';
        throw new PartwrightError(ErrorCode.InvalidSpec, `Missing verity ${role} partition for verity ${have} partition with VerityMatchKey=${key}`, { where: `partitions.${first}.verityMatchKey` });
      }
    }
    const members = [s.data[0]!, s.hash[0]!, ...s.signature];
    const priorities = members.map((i) => spec.partitions[i]!.priority ?? 0);
    if (priorities.some((p) => p !== priorities[0])) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Priority mismatch (${priorities.join(' != ')}) for verity sibling partitions with VerityMatchKey=${key}`, { where: `partitions.${members[1]}.priority` });
    }
    sets.push({ matchKey: key, data: s.data[0]!, hash: s.hash[0]!, signature: s.signature[0] });
  }
  return sets;
}

/** Block sizes for a set: the hash partition's keys, else the data partition's, else the explicit sector size, else 4096. */
export function verityBlockSizes(spec: ImageSpec, set: VeritySpecSet): { dataBlockBytes: number; hashBlockBytes: number } {
  const h = spec.partitions[set.hash]!, d = spec.partitions[set.data]!;
  const fallback = spec.sectorSizeBytes ?? DEFAULT_VERITY_BLOCK_BYTES;
  return {
    dataBlockBytes: h.verityDataBlockSizeBytes ?? d.verityDataBlockSizeBytes ?? fallback,
    hashBlockBytes: h.verityHashBlockSizeBytes ?? d.verityHashBlockSizeBytes ?? fallback,
  };
}

const GRAIN_BYTES = 4096;
const roundUp = (v: number, to: number) => Math.ceil(v / to) * to;

/**
 * Minimize= on hash partitions: fix their size (min = max) from the data partition's size known
 * before placement.
 */
export function minimizeVerityHashes(spec: ImageSpec, sets: VeritySpecSet[]): ImageSpec {
  let partitions = spec.partitions;
  for (const set of sets) {
    const h = partitions[set.hash]!;
    if (h.minimize === undefined || h.minimize === 'off') continue;
    const d = partitions[set.data]!;
    // The data partition's size must be fixed before placement: Minimize= on it (already applied
    // here as SizeMinBytes= = SizeMaxBytes=) or an explicit fixed size. A growing data partition
    // would outgrow the tree (repart then fails formatting the hash).
    const min = d.sizeMinBytes !== undefined ? Math.floor(d.sizeMinBytes / GRAIN_BYTES) * GRAIN_BYTES : undefined;
    const max = d.sizeMaxBytes !== undefined ? roundUp(d.sizeMaxBytes, GRAIN_BYTES) : undefined;
    const dataBytes = min !== undefined && min === max ? min : undefined;
    if (dataBytes === undefined) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Minimize= set for verity hash partition but data partition (VerityMatchKey=${set.matchKey}) does not set Minimize= or a fixed size (SizeMinBytes= = SizeMaxBytes=); its size must be known before placement`, { where: `partitions.${set.hash}.minimize` });
    }
    const { dataBlockBytes, hashBlockBytes } = verityBlockSizes({ ...spec, partitions }, set);
    const bytes = roundUp(verityHashAreaBytes(dataBytes, dataBlockBytes, hashBlockBytes), GRAIN_BYTES);
    partitions = partitions.map((p, i) => (i === set.hash ? { ...p, sizeMinBytes: bytes, sizeMaxBytes: bytes } : p));
  }
  return partitions === spec.partitions ? spec : { ...spec, partitions };
}

/** The seed-derived salt and superblock UUID (newer repart's derivation; see the module comment). */
export function veritySaltAndUuid(seed: string): { salt: Uint8Array; uuid: string } {
  return { salt: hmacSha256(uuidToBytes(seed), new TextEncoder().encode('verity-salt')), uuid: deriveUuid(seed, 'verity-uuid') };
}

export interface VerityOutcome {
  matchKey: string;
  rootHash: Uint8Array;
  data: PlannedPartition;
  hash: PlannedPartition;
  signature: PlannedPartition | undefined;
}

/**
 * The verity tree's SHA-256 on every host, chosen here: sha256-lanes.wasm (four blocks per SIMD
 * vector) when the host loaded it — the fastest in Chromium's worker (2.5× hash-wasm, 6× the JS one)
 * and, measured with bench/verity.ts, as fast as or faster than Node's crypto one block at a time
 * (whose per-call cost dominates on 4 KiB blocks) — else the host's SHA-256, else the engine's own.
 */
export function verityHasher(loadTool: ((name: ToolName) => WebAssembly.Module) | undefined, createSha256: CreateSha256 | undefined): VerityHasher {
  let module: WebAssembly.Module | undefined;
  try {
    module = loadTool?.('sha256-lanes');
  } catch {
    module = undefined; // a host that did not load it (a layout built without runBuild's tool list)
  }
  if (module) return sha256LanesHasher(module);
  return createSha256 ?? (() => new Sha256());
}

/**
 * Computes each set's tree over the data partition as written, writes the hash partition and returns
 * the plan with the data/hash UUIDs set from the root hash (tables are written after this).
 */
export function writeVerityHashes(image: SparseImage, plan: ImagePlan, spec: ImageSpec, sets: VeritySpecSet[], hasher: VerityHasher = () => new Sha256()): { plan: ImagePlan; outcomes: VerityOutcome[] } {
  const bySpec = new Map(plan.partitions.map((p) => [p.specIndex, p]));
  const newUuid = new Map<PlannedPartition, string>();
  const outcomes: VerityOutcome[] = [];
  const { salt, uuid } = veritySaltAndUuid(plan.seed);
  for (const set of sets) {
    const d = bySpec.get(set.data), h = bySpec.get(set.hash);
    if (!d || !h) continue; // dropped for Priority= together
    if (h.existing) continue; // repart never formats existing partitions
    const { dataBlockBytes, hashBlockBytes } = verityBlockSizes(spec, set);
    const g = verityGeometry(d.sizeBytes, dataBlockBytes, hashBlockBytes);
    if (g.hashAreaBytes > h.sizeBytes) {
      throw new PartwrightError(ErrorCode.DoesNotFit, `Verity hash partition '${h.label}' is ${h.sizeBytes} bytes; the hash tree of data partition '${d.label}' (${d.sizeBytes} bytes) needs ${g.hashAreaBytes}; raise its SizeMinBytes= or set Minimize=best.`, { where: `partitions.${set.hash}.sizeMinBytes` });
    }
    const tree = computeVerityTree({
      read: (off, target) => image.readInto(d.offsetBytes + off, target),
      isZero: (off, n) => image.dataRanges(d.offsetBytes + off, n).length === 0,
    }, g, salt, hasher);
    image.write(h.offsetBytes, encodeVeritySuperblock({ hashType: 1, uuid, algorithm: 'sha256', dataBlockBytes, hashBlockBytes, dataBlocks: g.dataBlocks, salt }));
    image.write(h.offsetBytes + tree.firstBlock * hashBlockBytes, tree.levelsBytes);
    const explicit = (i: number) => spec.partitions[i]!.uuid !== undefined && spec.partitions[i]!.uuid !== '';
    if (!d.existing && !explicit(set.data)) newUuid.set(d, bytesToUuid(tree.rootHash, 0));
    if (!explicit(set.hash)) newUuid.set(h, bytesToUuid(tree.rootHash, tree.rootHash.length - 16));
    outcomes.push({ matchKey: set.matchKey, rootHash: tree.rootHash, data: d, hash: h, signature: set.signature !== undefined ? bySpec.get(set.signature) : undefined });
  }
  if (newUuid.size === 0) return { plan, outcomes };
  const partitions = plan.partitions.map((p) => (newUuid.has(p) ? { ...p, uuid: newUuid.get(p)! } : p));
  const updated = (p: PlannedPartition | undefined) => (p ? partitions[plan.partitions.indexOf(p)]! : undefined);
  return {
    plan: { ...plan, partitions },
    outcomes: outcomes.map((o) => ({ ...o, data: updated(o.data)!, hash: updated(o.hash)!, signature: updated(o.signature) })),
  };
}


/** Writes each set's signature partition (repart's JSON, NUL-padded to 4 KiB multiples). */
export async function writeVeritySignatures(image: SparseImage, outcomes: VerityOutcome[], signer: VeritySigner | undefined): Promise<void> {
  for (const o of outcomes) {
    const s = o.signature;
    if (!s || s.existing) continue;
    if (!signer) {
      throw new PartwrightError(ErrorCode.InvalidSpec, `Verity signature partition '${s.label}' requested but no private key and certificate given (CLI: --private-key= and --certificate=; app: pick them beside the partition).`, { where: `partitions.${s.specIndex}.verity` });
    }
    const rootHashHex = toHex(o.rootHash);
    const signature = await signer.sign(rootHashHex);
    image.write(s.offsetBytes, encodeVeritySignatureJson({ rootHash: o.rootHash, certificateFingerprint: signer.certificateFingerprint, signature }, s.sizeBytes));
  }
}
