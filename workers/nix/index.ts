/** The Nix binary-cache client: what `build/` and the engine import. */
export { NixCacheClient, type ClosureProgress, type ClosureResult, type FetchLike, type FetchOptions, type NixCacheClientOptions, type ValidPathInfo } from './client.ts';
export { type ZstdLoader } from './decompress.ts';
export { NixError, NixProblem, isNixError } from './errors.ts';
export { unpackNar, type IncrementalHash, type NarFileWriter, type NarSink, type UnpackNarOptions, type UnpackNarResult } from './nar.ts';
export { formatSha256, narInfoFingerprint, parseNarInfo, parseNixCacheInfo, type NarCompression, type NarInfo, type NixCacheInfo } from './narinfo.ts';
export { encodeNixPathRegistration, type RegistrationOptions, type RegistrationPath } from './registration.ts';
export { importTrustedKeys, verifyNarInfoSignature, type TrustedKey } from './signature.ts';
export { NIX_STORE_DIR, parseStorePath } from './store-path.ts';
export { MemoryTreeSink, STORE_MTIME_SECONDS, type StoreTreeDir, type StoreTreeEntry, type StoreTreeFile, type StoreTreeSymlink } from './tree-sink.ts';
export { decodeNixBase32, encodeNixBase32 } from './base32.ts';
