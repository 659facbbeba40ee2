// Layer rules (STYLE.md §1) checked with dependency-cruiser's API and .dependency-cruiser.cjs.
// Its command line refuses Node 20 (Debian 12's is what CI has); the API it wraps runs fine there.
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const require = createRequire(import.meta.url);
const config = await extractDepcruiseConfig(require.resolve('../.dependency-cruiser.cjs'));
const tsConfig = extractTSConfig(require.resolve('../tsconfig.base.json'));
const roots = ['web', 'workers', 'cli', 'server', 'bench', 'test', 'e2e'];
const result = await cruise(roots, { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true, outputType: 'err' }, {}, { tsConfig });
process.stdout.write(typeof result.output === 'string' ? result.output : '');
const summary = JSON.parse(JSON.stringify(result.output?.summary ?? {}));
process.exit(result.exitCode ?? (summary.error > 0 ? 1 : 0));
