/**
 * Output formats a built image leaves Partwright in, each streamed from the sparse image:
 * Android sparse (fastboot, simg2img), bmap (bmaptool), qcow2 (QEMU), VHD fixed and dynamic
 * (Hyper-V, Azure, QEMU), gzip (CompressionStream), and raw itself. Which files they go to is
 * workers/build/write-output.ts' business.
 */
export * from './image-source.ts';
export * from './raw.ts';
export * from './android-sparse.ts';
export * from './bmap.ts';
export * from './qcow2.ts';
export * from './vhd.ts';
export * from './compressed.ts';
export * from './hole-skipping.ts';
