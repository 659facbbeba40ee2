/**
 * repart.d import and export: the public entry point. The pieces live in `repart-conf/`:
 * `lexer.ts` (systemd's .conf line syntax), `values.ts` (value syntaxes: specifiers, paths, escapes),
 * `import.ts` and `export.ts`. Which keys exist and how each value is read is in `fields.ts`.
 */
export { exportRepartDirectory } from './repart-conf/export.ts';
export {
  parseRepartConf,
  parseRepartDirectories,
  parseRepartDirectory,
  readConfFile,
  type ConfFile,
  type ConfDirectory,
  type ConfFileContents,
  type DefinitionSource,
  type RepartDirectoryImport,
  type RepartImport,
} from './repart-conf/import.ts';
export { lexConf, type ConfItem } from './repart-conf/lexer.ts';
export {
  OS_RELEASE_SPECIFIERS,
  SPECIFIERS,
  parseOsRelease,
  specifierValuesFromOsRelease,
  type SpecifierValues,
} from './repart-conf/values.ts';
