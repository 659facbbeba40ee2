/** ISO 9660 (level 3) with Rock Ridge, Joliet, El Torito and isohybrid: writer and reader. */
export { planIso, writeIso, fileExtents, MAX_EXTENT_BYTES } from './writer.ts';
export type { IsoOptions, IsoBootOptions, IsohybridOptions, IsoPlan, IsoSink, IsoExtent, IsoWriteResult } from './writer.ts';
export type { IsoEntryInput } from './tree.ts';
export { decodeIso, readIsoFile, IsoProblem } from './reader.ts';
export type { DecodedIso, DecodeIsoOptions, IsoReadEntry } from './reader.ts';
export { encodeBootCatalog, decodeBootCatalog, PLATFORM } from './el-torito.ts';
export type { BootCatalogEntry, DecodedBootEntry } from './el-torito.ts';
export { encodeIsohybrid, ISOHYBRID_ALIGN_BYTES } from './isohybrid.ts';
export { validateVolumeId } from './names.ts';
export type { VolumeInfo } from './volume-descriptor.ts';
