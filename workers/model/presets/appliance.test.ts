/**
 * The appliance preset builds into what NixOS's repart-verity-store images are, as the real tools
 * read it: sfdisk (ESP, usr, usr-verity, root on GPT), fsck.erofs (the /usr tree), `veritysetup
 * verify` with the root hash the loader entry carries (mtools) and the data/hash PARTUUIDs being its
 * halves, failing after one flipped byte; e2fsck on the writable root; two builds byte-identical.
 * That it boots is test/boot/presets.boot.test.ts.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBootableImage, buildBootableImageSigned } from '../../boot/build-boot-image.ts';
import { createVeritySigner } from '../../crypto/verity-signer.ts';
import { FileSource } from '../../hosts/node/file.ts';
import { readTree } from '../../hosts/node/tree.ts';
import { writeOutputFiles as writeOutput } from '../../hosts/node/outputs.ts';
import { loadNodeTool } from '../../hosts/node/tools.ts';
import { requireTools } from '../../test-support/debian.ts';
import { isPartwrightError } from '../errors.ts';
import { APPLIANCE_VERITY_KEY, PRESET_INPUTS as IN, appliance, applianceSigned, presetByName } from './index.ts';

const work = mkdtempSync(join(tmpdir(), 'partwright-appliance-'));
const src = join(work, 'src');
afterAll(() => void (process.env.KEEP ? 0 : rmSync(work, { recursive: true, force: true })));
const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C' };

function put(path: string, bytes: string | Uint8Array): void {
  mkdirSync(join(src, path, '..'), { recursive: true });
  writeFileSync(join(src, path), bytes);
}

async function build(name: string): Promise<{ img: string; result: ReturnType<typeof buildBootableImage> }> {
  const opened: FileSource[] = [];
  const result = buildBootableImage(appliance.spec, appliance.boot!, {
    open: (p) => { const s = new FileSource(join(src, p)); opened.push(s); return s; },
    openTree: (p) => readTree(join(src, p)),
  }, { loadTool: loadNodeTool });
  const img = join(work, name);
  await writeOutput(result.image, result.plan, 'raw', img);
  for (const s of opened) s.close();
  return { img, result };
}

function extract(img: string, offsetBytes: number, sizeBytes: number, name: string): string {
  const out = join(work, name);
  const b = Buffer.alloc(sizeBytes);
  const fd = openSync(img, 'r');
  readSync(fd, b, 0, sizeBytes, offsetBytes);
  closeSync(fd);
  writeFileSync(out, b);
  return out;
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', env: ENV });

let built: Awaited<ReturnType<typeof build>>;
beforeAll(async () => {
  requireTools('veritysetup', 'fsck.erofs', 'mtype', 'sfdisk', 'e2fsck', 'openssl');
  put(IN.kernel, 'kernel');
  put(IN.initrd, 'initrd');
  put(IN.systemdBootEfi, 'MZ systemd-boot');
  put(`${IN.rootfs}/partwright-marker`, 'root\n');
  put(`${IN.usr}/partwright-marker`, 'usr\n');
  put(`${IN.usr}/bin/tool`, new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff));
  put(`${IN.usr}/share/doc/readme`, 'read-only /usr\n');
  built = await build('appliance.img');
}, 120_000);

describe('appliance preset', () => {
  it('is listed and plans ESP, usr, usr-verity, root', () => {
    expect(presetByName('appliance')).toBe(appliance);
    expect(JSON.parse(JSON.stringify(appliance))).toEqual(appliance);
    const table = JSON.parse(execFileSync('sfdisk', ['--json', built.img], { encoding: 'utf8', env: ENV })).partitiontable;
    expect(table.label).toBe('gpt');
    expect(table.partitions.map((p: { name: string }) => p.name)).toEqual(['ESP', 'usr', 'usr-verity', 'root']);
    expect(run('sgdisk', ['-v', built.img]).stdout).toContain('No problems found');
  });

  it('carries the verity root hash in the loader entry; data and hash PARTUUIDs are its halves; veritysetup verify passes', () => {
    const { img, result } = built;
    const [espP, usrP, hashP, rootP] = result.plan.partitions;
    const rootHash = result.verity!.find((v) => v.matchKey === APPLIANCE_VERITY_KEY)!.rootHash;
    expect(rootHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rootHash).not.toBe('0'.repeat(64));

    const entry = execFileSync('mtype', ['-i', `${img}@@${espP!.offsetBytes}`, '::/loader/entries/appliance.conf'], { encoding: 'utf8', env: ENV });
    const table = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8', env: ENV })).partitiontable;
    const uuid = (i: number) => (table.partitions[i].uuid as string).toLowerCase().replace(/-/g, '');
    expect(entry).toContain(`usrhash=${rootHash}`);
    expect(entry).toContain(`root=PARTUUID=${(table.partitions[3].uuid as string).toLowerCase()}`);
    expect(uuid(1)).toBe(rootHash.slice(0, 32));
    expect(uuid(2)).toBe(rootHash.slice(32));

    const data = extract(img, usrP!.offsetBytes, usrP!.sizeBytes, 'usr.erofs');
    const hash = extract(img, hashP!.offsetBytes, hashP!.sizeBytes, 'usr.verity');
    const ok = run('veritysetup', ['verify', data, hash, rootHash]);
    expect(ok.status, ok.stderr).toBe(0);

    // /usr is the erofs image of the tree.
    const x = join(work, 'usr-x');
    const fsck = run('fsck.erofs', [`--extract=${x}`, data]);
    expect(fsck.status, fsck.stderr).toBe(0);
    expect(readFileSync(join(x, 'partwright-marker'), 'utf8')).toBe('usr\n');
    expect(readFileSync(join(x, 'bin/tool')).equals(readFileSync(join(src, IN.usr, 'bin/tool')))).toBe(true);

    // One flipped byte in the data: the tree no longer verifies.
    const fd = openSync(data, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 4096 + 17);
    b[0] = b[0]! ^ 0x40;
    writeSync(fd, b, 0, 1, 4096 + 17);
    closeSync(fd);
    expect(run('veritysetup', ['verify', data, hash, rootHash]).status).not.toBe(0);

    const root = extract(img, rootP!.offsetBytes, rootP!.sizeBytes, 'root.ext4');
    const e2 = run('e2fsck', ['-fn', root]);
    expect(e2.status, e2.stdout).toBe(0);
  });

  it('builds once: the /usr tree is read by one build, the boot partition is made after the hash partition', () => {
    const reads: string[] = [];
    const stages: string[] = [];
    buildBootableImage(appliance.spec, appliance.boot!, {
      open: (p) => new FileSource(join(src, p)),
      openTree: (p) => { reads.push(p); return readTree(join(src, p)); },
    }, { loadTool: loadNodeTool, onProgress: (p) => { if (p.stage === 'plan' || p.stage === 'tables') stages.push(p.stage); } });
    expect(reads.filter((p) => p === IN.usr)).toEqual([IN.usr]);
    expect(stages).toEqual(['plan', 'tables']);
  });

  it('two builds are byte-identical', async () => {
    const again = await build('appliance-2.img');
    const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(digest(again.img)).toBe(digest(built.img));
  }, 120_000);

  it('refuses a command line naming a verity set the layout lacks', () => {
    const boot = { ...appliance.boot!, entries: [{ ...appliance.boot!.entries[0]!, cmdline: 'usrhash={verity.nope.roothash}' }] };
    try {
      buildBootableImage(appliance.spec, boot, { open: () => { throw new Error('unused'); }, openTree: (p) => readTree(join(src, p)) }, { loadTool: loadNodeTool });
      expect.unreachable();
    } catch (e) {
      expect(isPartwrightError(e) && e.message).toMatch(/VerityMatchKey=nope/);
    }
  });

  it('appliance-signed: the signature partition holds a PKCS#7 signature of the root hash the entry carries (openssl smime -verify)', async () => {
    const key = join(work, 'key.pem'), cert = join(work, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=appliance', '-days', '30'], { stdio: 'ignore' });
    const veritySigner = await createVeritySigner(readFileSync(key, 'utf8'), readFileSync(cert, 'utf8'));
    const opened: FileSource[] = [];
    const result = await buildBootableImageSigned(applianceSigned.spec, applianceSigned.boot!, {
      open: (p) => { const s = new FileSource(join(src, p)); opened.push(s); return s; },
      openTree: (p) => readTree(join(src, p)),
    }, { loadTool: loadNodeTool, veritySigner });
    const img = join(work, 'appliance-signed.img');
    await writeOutput(result.image, result.plan, 'raw', img);
    for (const s of opened) s.close();
    const [espP, usrP, hashP, sigP] = result.plan.partitions;
    expect(sigP!.label).toBe('usr-verity-sig');
    const rootHash = result.verity!.find((v) => v.matchKey === APPLIANCE_VERITY_KEY)!.rootHash;
    const entry = execFileSync('mtype', ['-i', `${img}@@${espP!.offsetBytes}`, '::/loader/entries/appliance.conf'], { encoding: 'utf8', env: ENV });
    expect(entry).toContain(`usrhash=${rootHash}`);
    const ok = run('veritysetup', ['verify', extract(img, usrP!.offsetBytes, usrP!.sizeBytes, 's-usr'), extract(img, hashP!.offsetBytes, hashP!.sizeBytes, 's-hash'), rootHash]);
    expect(ok.status, ok.stderr).toBe(0);
    const raw = readFileSync(extract(img, sigP!.offsetBytes, sigP!.sizeBytes, 's-sig'));
    const json = JSON.parse(raw.subarray(0, raw.indexOf(0)).toString('utf8')) as { rootHash: string; signature: string };
    expect(json.rootHash).toBe(rootHash);
    const der = join(work, 'sig.der'), content = join(work, 'roothash.txt');
    writeFileSync(der, Buffer.from(json.signature, 'base64'));
    writeFileSync(content, rootHash);
    const verify = run('openssl', ['smime', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', content, '-CAfile', cert, '-purpose', 'any', '-out', '/dev/null']);
    expect(verify.status, verify.stderr).toBe(0);
  }, 120_000);
});
