/**
 * Store paths: `/nix/store/<32 base-32 digits>-<name>` (nix/src/libstore/path.cc). Only the default
 * store directory is supported: the closure lands under `/nix/store` in the image.
 */
import { NIX_BASE32_ALPHABET } from './base32.ts';
import { NixError, NixProblem } from './errors.ts';

export const NIX_STORE_DIR = '/nix/store';
/** 20-byte truncated hash in base-32. */
const HASH_PART_LENGTH = 32;
/** path.cc: names are at most 211 characters. */
const NAME_MAX_LENGTH = 211;
const NAME_CHARS = /^[A-Za-z0-9+\-._?=]+$/;
const HASH_CHARS = new RegExp(`^[${NIX_BASE32_ALPHABET}]{${HASH_PART_LENGTH}}$`);

export interface StorePathParts {
  hashPart: string;
  name: string;
}

/** Split and validate a full store path; throws `bad-store-path`. */
export function parseStorePath(path: string): StorePathParts {
  const prefix = `${NIX_STORE_DIR}/`;
  if (!path.startsWith(prefix)) throw new NixError(NixProblem.BadStorePath, `${path} is not a store path: it must start with ${prefix}.`, { storePath: path });
  return parseStorePathBase(path.slice(prefix.length), path);
}

/** Validate `<hash>-<name>` (a store path without its directory, as narinfo `References` list them). */
export function parseStorePathBase(base: string, shown = base): StorePathParts {
  const hashPart = base.slice(0, HASH_PART_LENGTH);
  const name = base.slice(HASH_PART_LENGTH + 1);
  if (!HASH_CHARS.test(hashPart) || base[HASH_PART_LENGTH] !== '-') {
    throw new NixError(NixProblem.BadStorePath, `${shown} is not a store path: it must be ${HASH_PART_LENGTH} base-32 digits, "-", then a name.`, { storePath: shown });
  }
  if (name.length === 0 || name.length > NAME_MAX_LENGTH || !NAME_CHARS.test(name) || name.startsWith('.')) {
    throw new NixError(NixProblem.BadStorePath, `${shown} has an invalid name "${name}" (1–${NAME_MAX_LENGTH} of A–Z a–z 0–9 + - . _ ? =, not starting with ".").`, { storePath: shown });
  }
  return { hashPart, name };
}

export function storePathHashPart(path: string): string {
  return parseStorePath(path).hashPart;
}
