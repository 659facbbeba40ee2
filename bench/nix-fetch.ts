/** Child of nix-200m.ts: fetch, verify and unpack a closure with Partwright's client into a folder. */
import { NixCacheClient } from '../workers/nix/index.ts';
import { FsTreeSink } from '../workers/hosts/node/nar-sink.ts';
import { nodeSha256 } from '../workers/hosts/node/hash.ts';
import { loadNodeTool } from '../workers/hosts/node/tools.ts';

const [cache, key, storePath, outDir] = process.argv.slice(2) as [string, string, string, string];
const client = await NixCacheClient.create({ substituters: [cache], trustedPublicKeys: [key], createSha256: nodeSha256, loadZstd: () => loadNodeTool('zstd') });
const sink = new FsTreeSink(outDir);
const r = await client.fetchClosure([storePath], sink);
console.log(JSON.stringify({ paths: r.paths.length, narBytes: r.narBytes }));
