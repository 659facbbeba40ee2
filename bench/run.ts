/** `npm run bench`: every benchmark in turn (figures and ratios against the native tools; not tests). */
const benches = ['./plan-cold.ts', './hash.ts', './app-build.ts', './gpt-64g.ts', './fat-3000.ts', './ext4-5000.ts', './esp-root.ts', './iso-2000.ts', './outputs-16g.ts', './nix-200m.ts', './ext4-chromium.ts', './squashfs.ts', './erofs.ts', './rofs-chromium.ts', './archives.ts', './verity.ts', './verity-chromium.ts', './opfs-parallel-chromium.ts'];
for (const b of benches) {
  console.log(`\n== ${b.slice(2, -3)}`);
  await import(b);
}
export {};
