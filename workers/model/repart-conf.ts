/**
 * repart.d import and export: the public entry point. The pieces live in `repart-conf/`:
 * `lexer.ts` (systemd's .conf line syntax), `values.ts` (value syntaxes: specifiers, paths, escapes),
 * `import.ts` and `export.ts`. Which keys exist and how each value is read is in `fields.ts`.
 */
export { exportRepartDirectory } from './repart-conf/export.ts';
export {
  parseRepartConf,
  parseRepartDirectory,
  readConfFile,
  type ConfFile,
  type ConfFileContents,
  type RepartImport,
} from './repart-conf/import.ts';
export { lexConf, type ConfItem } from './repart-conf/lexer.ts';
