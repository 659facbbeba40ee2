/** The package's name and version, read from package.json in this one place (engine, CLI). */
import pkg from '../package.json' with { type: 'json' };

export const PACKAGE_NAME: string = pkg.name;
export const PACKAGE_VERSION: string = pkg.version;
