/**
 * Layer rules of STYLE.md §1, checked by dependency-cruiser from `npm test` (scripts/layers.sh via
 * scripts/typecheck.sh), not by review. Type-only imports are told apart (tsPreCompilationDeps), so
 * "web imports only types from workers/engine.ts" is a rule here too.
 */
/** Tests and their helpers use whatever they check against. */
const TESTS = ['\\.test\\.ts$', '/test-support/'];

module.exports = {
  forbidden: [
    {
      name: 'web-only-model-values',
      comment: 'web/ imports values only from workers/model/ (offsets, tools and storage stay in the worker).',
      severity: 'error',
      // Tests build real plans to check what the page shows from them.
      from: { path: '^web/', pathNot: TESTS },
      // Exception: the page owns the USBDevice (WebUSB is main-thread only), so its fastboot
      // transport and the flash errors it raises are page code; the worker gets the transport as a
      // comlink proxy (STYLE.md §10). No offsets or image bytes cross with them.
      to: { path: '^workers/', pathNot: ['^workers/model/', '^workers/engine\\.ts$', '^workers/flash/(webusb|errors)\\.ts$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-engine-types-only',
      comment: 'web/ takes types from workers/engine.ts; the worker entry is started by URL (web/lib/engine-client.ts), never imported.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^workers/engine\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'formats-model-stay-pure',
      comment: 'workers/formats/ and workers/model/ import nothing from disk/, tools/, build/, nix/, boot/, hosts/.',
      severity: 'error',
      // Tests exercise the writers on real sparse images and files; they are not part of the layer.
      from: { path: '^workers/(formats|model)/', pathNot: TESTS },
      to: { path: '^workers/(disk|tools|build|nix|boot|hosts)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'formats-model-types-pure',
      comment: 'Exception, types only: a preset (model) names its BootSpec, the shape workers/boot/ installs; no code crosses.',
      severity: 'error',
      from: { path: '^workers/(formats|model)/', pathNot: TESTS },
      to: { path: '^workers/(disk|tools|build|nix|hosts)/', dependencyTypes: ['type-only'] },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ only parses arguments; what it shares lives in workers/ (the Node host is workers/hosts/node/).',
      severity: 'error',
      from: { pathNot: '^cli/' },
      to: { path: '^cli/' },
    },
    {
      name: 'engine-not-node-host',
      comment: 'The engine (everything in workers/ but the Node host and tests) never reaches node:* or the Node host.',
      severity: 'error',
      from: { path: '^workers/', pathNot: ['^workers/hosts/node/', ...TESTS] },
      to: { path: ['^workers/hosts/node/', '^node:', '^(fs|path|os|child_process|crypto)$'] },
    },
    {
      name: 'only-tools-load-wasm',
      comment: 'Only workers/tools/ loads anything from wasm/.',
      severity: 'error',
      from: { pathNot: ['^workers/tools/', '^wasm/'] },
      to: { path: '^wasm/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '^dist/', '^test-results/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.svelte'] },
  },
};
