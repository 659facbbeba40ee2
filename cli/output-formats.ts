/** The `--output-format` choices, in a module of their own so `--help` does not load the writers. */
export const OUTPUT_FORMATS = ['raw', 'gz', 'zst', 'android-sparse', 'bmap', 'qcow2', 'vhd', 'vhd-dynamic', 'split'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
