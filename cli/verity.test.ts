/**
 * Swap, dm-verity and signature partitions end to end through `partwright build`, with the real
 * tools as oracles: veritysetup verify (root hash read back from the partition UUIDs) passes and
 * fails after one flipped byte, veritysetup dump shows the seed-derived salt and UUID, openssl
 * accepts the PKCS#7 signature with the certificate, blkid/swaplabel read the swap, `inspect` finds
 * every file system and checks the tree, two builds are byte-identical, and the table equals
 * systemd-repart 252's for the same definitions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTools } from '../workers/formats/test-support/tools.ts';
import { REPART, runRepartCreate, type SfdiskTable } from '../workers/plan/test-support/repart-oracle.ts';
import { deriveUuid } from '../workers/plan/uuid.ts';
import { uuidToBytes } from '../workers/model/uuid.ts';
import type { ImageSpec } from '../workers/model/spec.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'cli/bin/partwright.mjs');
const EXAMPLE = path.join(ROOT, 'examples/verity-usr');
const SEED = '0867da16-f251-457d-a9e8-c31f9a3c220b';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-verity-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

requireTools('veritysetup', 'openssl', 'blkid', 'swaplabel', 'sfdisk', 'systemd-repart');

function cli(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function keyPair(kind: 'rsa' | 'ec'): { key: string; cert: string } {
  const key = path.join(work, `${kind}.key`), cert = path.join(work, `${kind}.crt`);
  if (!fs.existsSync(key)) {
    const newkey = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=partwright ${kind} test`, '-days', '3650'], { stdio: 'ignore' });
  }
  return { key, cert };
}

interface Built {
  out: string;
  plan: { partitions: { partitionNumber: number; offsetBytes: number; sizeBytes: number; uuid: string; label: string; typeName: string }[] };
  verity: { matchKey: string; rootHash: string }[];
}

function build(layout: string, name: string, ...extra: string[]): Built {
  const out = path.join(work, name);
  const r = cli('build', layout, '-o', out, '--json', ...extra);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { out, ...JSON.parse(r.stdout) };
}

function extract(img: string, offset: number, size: number, file: string): string {
  const fd = fs.openSync(img, 'r');
  const buf = Buffer.alloc(size);
  fs.readSync(fd, buf, 0, size, offset);
  fs.closeSync(fd);
  fs.writeFileSync(file, buf);
  return file;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const hex = (uuid: string) => uuid.replace(/-/g, '');

describe('examples/verity-usr: ext4 /usr + verity hash + signature + swap', () => {
  const { key, cert } = keyPair('rsa');
  const a = build(EXAMPLE, 'a.img', '--private-key', key, '--certificate', cert);
  const part = (label: string) => a.plan.partitions.find((p) => p.label === label)!;
  const usr = part('usr'), hash = part('usr-verity'), sig = part('usr-verity-sig'), swap = part('swap');
  const rootHash = hex(usr.uuid) + hex(hash.uuid);

  it('two builds give the same bytes; the printed root hash is the UUID halves', () => {
    const b = build(EXAMPLE, 'b.img', '--private-key', key, '--certificate', cert);
    expect(sha256(b.out)).toBe(sha256(a.out));
    expect(a.verity).toEqual([{ matchKey: 'usr', rootHash }]);
    expect(hash.sizeBytes).toBe(4 * 4096); // Minimize=best: superblock + 2 level-0 blocks + 1 level-1 block for 256 data blocks
    expect(sig.sizeBytes).toBe(16384);
  });

  it('veritysetup verify passes with the root hash from the partition UUIDs and fails after one flipped byte', () => {
    const data = extract(a.out, usr.offsetBytes, usr.sizeBytes, path.join(work, 'usr.img'));
    const tree = extract(a.out, hash.offsetBytes, hash.sizeBytes, path.join(work, 'usr-verity.img'));
    expect(spawnSync('veritysetup', ['verify', data, tree, rootHash]).status).toBe(0);
    const dump = execFileSync('veritysetup', ['dump', tree], { encoding: 'utf8' });
    const salt = createHmac('sha256', uuidToBytes(SEED)).update('verity-salt').digest('hex');
    expect(dump).toMatch(new RegExp(`Salt:\\s+${salt}`));
    expect(dump).toMatch(new RegExp(`UUID:\\s+${deriveUuid(SEED, 'verity-uuid')}`));
    expect(dump).toMatch(/Hash type:\s+1/);
    expect(dump).toMatch(new RegExp(`Data blocks:\\s+${usr.sizeBytes / 4096}`));
    expect(dump).toMatch(/Data block size:\s+4096/);
    expect(dump).toMatch(/Hash algorithm:\s+sha256/);
    const bytes = fs.readFileSync(data);
    bytes[usr.sizeBytes - 5000]! ^= 0x01;
    fs.writeFileSync(data, bytes);
    const bad = spawnSync('veritysetup', ['verify', data, tree, rootHash], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/corrupt|Verification failed/i);
  });

  it('the signature partition holds repart\'s JSON; openssl accepts the PKCS#7 signature with the certificate', () => {
    const raw = fs.readFileSync(extract(a.out, sig.offsetBytes, sig.sizeBytes, path.join(work, 'sig.img')));
    const end = raw.indexOf(0);
    expect(end % 4096).not.toBe(0);
    expect(raw.subarray(end).every((b) => b === 0)).toBe(true);
    const json = JSON.parse(raw.subarray(0, end).toString('utf8'));
    expect(Object.keys(json)).toEqual(['rootHash', 'certificateFingerprint', 'signature']);
    expect(json.rootHash).toBe(rootHash);
    const certDer = execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER']);
    expect(json.certificateFingerprint).toBe(createHash('sha256').update(certDer).digest('hex'));
    const der = path.join(work, 'sig.der'), content = path.join(work, 'roothash.txt');
    fs.writeFileSync(der, Buffer.from(json.signature, 'base64'));
    fs.writeFileSync(content, rootHash);
    const ok = spawnSync('openssl', ['smime', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', content, '-CAfile', cert, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(ok.stderr).toMatch(/Verification successful/);
    expect(ok.status).toBe(0);
    fs.writeFileSync(content, rootHash.replace(/^./, (c) => (c === '0' ? '1' : '0')));
    expect(spawnSync('openssl', ['smime', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', content, '-CAfile', cert, '-purpose', 'any', '-out', '/dev/null']).status).not.toBe(0);
    // Detached, no signed attributes, the certificate included (PKCS7_DETACHED|PKCS7_NOATTR).
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', der], { encoding: 'utf8' });
    expect(printed).toMatch(/eContent: <ABSENT>/);
    expect(printed).toMatch(/signedAttrs:\s*<ABSENT>/);
    expect(printed).toMatch(/certificates:/);
  });

  it('blkid and swaplabel read the swap area: repart\'s derived UUID and the partition label', () => {
    const file = extract(a.out, swap.offsetBytes, swap.sizeBytes, path.join(work, 'swap.img'));
    const fsUuid = deriveUuid(swap.uuid, 'file-system-uuid');
    const out = execFileSync('blkid', ['-p', '-o', 'export', file], { encoding: 'utf8' });
    expect(out).toMatch(/^TYPE=swap$/m);
    expect(out).toMatch(new RegExp(`^UUID=${fsUuid}$`, 'm'));
    expect(out).toMatch(/^LABEL=swap$/m);
    expect(execFileSync('swaplabel', [file], { encoding: 'utf8' })).toMatch(new RegExp(`UUID:\\s+${fsUuid}`));
  });

  it('inspect names each file system and checks the verity set; a flipped byte in /usr is reported', () => {
    const r = cli('inspect', a.out, '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.partitions.map((p: { fileSystem?: string }) => p.fileSystem ?? '')).toEqual(['ext4', 'verity-hash', 'verity-signature', 'swap', '']);
    expect(report.verity).toEqual([expect.objectContaining({
      dataPartition: usr.partitionNumber, hashPartition: hash.partitionNumber, signaturePartition: sig.partitionNumber,
      rootHash, verified: true, uuidsMatch: true, signatureNamesRootHash: true,
    })]);
    const broken = path.join(work, 'broken.img');
    fs.copyFileSync(a.out, broken);
    const fd = fs.openSync(broken, 'r+');
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, usr.offsetBytes + 8192);
    one[0]! ^= 0x40;
    fs.writeSync(fd, one, 0, 1, usr.offsetBytes + 8192);
    fs.closeSync(fd);
    const text = cli('inspect', broken);
    expect(text.stdout).toMatch(/tree does NOT verify \(hash block \d+ does not match the data\)/);
  });
});

describe('verity over the read-only file systems: erofs and squashfs /usr', () => {
  for (const format of ['erofs', 'squashfs'] as const) {
    it(`Format=${format} data partition: Minimize= sizes it, the hash tree verifies with the UUID halves, the file system reads`, () => {
      requireTools(format === 'erofs' ? 'fsck.erofs' : 'unsquashfs');
      const dir = path.join(work, `usr-${format}`);
      fs.cpSync(EXAMPLE, dir, { recursive: true });
      const conf = path.join(dir, '10-usr.conf');
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('Format=ext4', `Format=${format}`));
      const { key, cert } = keyPair('rsa');
      const b = build(dir, `usr-${format}.img`, '--private-key', key, '--certificate', cert);
      const [usr, hash] = b.plan.partitions;
      const data = extract(b.out, usr!.offsetBytes, usr!.sizeBytes, path.join(work, `${format}.data`));
      const tree = extract(b.out, hash!.offsetBytes, hash!.sizeBytes, path.join(work, `${format}.hash`));
      expect(b.verity[0]!.rootHash).toBe(hex(usr!.uuid) + hex(hash!.uuid));
      expect(spawnSync('veritysetup', ['verify', data, tree, b.verity[0]!.rootHash]).status).toBe(0);
      if (format === 'erofs') expect(spawnSync('fsck.erofs', [data]).status).toBe(0);
      else expect(execFileSync('unsquashfs', ['-l', data], { encoding: 'utf8' })).toMatch(/squashfs-root\/lib\/os-release/);
      const report = JSON.parse(cli('inspect', b.out, '--json').stdout);
      expect(report.partitions[0].fileSystem).toBe(format);
      expect(report.verity[0]).toMatchObject({ verified: true, uuidsMatch: true });
    });
  }
});

describe('verity options and refusals', () => {
  function layout(name: string, files: Record<string, string>): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    return dir;
  }
  const disk = '[X-Partwright-Disk]\nTable=gpt\nSize=64M\nCopySource=.\n';
  const data = (extra = '') => `[Partition]\nType=root\nCopyBlocks=/data.bin\nVerity=data\nVerityMatchKey=root\nSizeMinBytes=4M\nSizeMaxBytes=4M\n${extra}\n${disk}`;
  fs.mkdirSync(path.join(work, 'bs'), { recursive: true });

  it('ECDSA P-256 keys sign too, and openssl verifies the signature', () => {
    const { key, cert } = keyPair('ec');
    const dir = layout('ec', {
      '10-root.conf': data(),
      '20-hash.conf': '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nMinimize=best\n',
      '30-sig.conf': '[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n',
    });
    fs.writeFileSync(path.join(dir, 'data.bin'), createHash('sha512').update('x').digest().toString('hex').repeat(4096));
    const b = build(dir, 'ec.img', '--private-key', key, '--certificate', cert);
    const sig = b.plan.partitions[2]!;
    const raw = fs.readFileSync(extract(b.out, sig.offsetBytes, sig.sizeBytes, path.join(work, 'ec-sig.img')));
    const json = JSON.parse(raw.subarray(0, raw.indexOf(0)).toString('utf8'));
    fs.writeFileSync(path.join(work, 'ec.der'), Buffer.from(json.signature, 'base64'));
    fs.writeFileSync(path.join(work, 'ec.txt'), b.verity[0]!.rootHash);
    const ok = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(work, 'ec.der'), '-content', path.join(work, 'ec.txt'), '-CAfile', cert, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(ok.stderr).toMatch(/Verification successful/);
  });

  it('VerityDataBlockSizeBytes=/VerityHashBlockSizeBytes= set the tree\'s block sizes (veritysetup dump, verify)', () => {
    const dir = layout('bs', {
      '10-root.conf': data(),
      '20-hash.conf': '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nMinimize=best\nVerityDataBlockSizeBytes=512\nVerityHashBlockSizeBytes=1024\n',
    });
    fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    const b = build(dir, 'bs.img');
    const [d, h] = b.plan.partitions;
    const df = extract(b.out, d!.offsetBytes, d!.sizeBytes, path.join(work, 'bs-d.img'));
    const hf = extract(b.out, h!.offsetBytes, h!.sizeBytes, path.join(work, 'bs-h.img'));
    const dump = execFileSync('veritysetup', ['dump', hf], { encoding: 'utf8' });
    expect(dump).toMatch(/Data block size:\s+512/);
    expect(dump).toMatch(/Hash block size:\s+1024/);
    expect(dump).toMatch(new RegExp(`Data blocks:\\s+${d!.sizeBytes / 512}`));
    expect(spawnSync('veritysetup', ['verify', df, hf, hex(d!.uuid) + hex(h!.uuid)]).status).toBe(0);
  });

  it('refuses what repart refuses, and a signature partition without a key', () => {
    const noHash = layout('nohash', { '10-root.conf': data() });
    fs.writeFileSync(path.join(noHash, 'data.bin'), 'x');
    expect(cli('build', noHash, '-o', path.join(work, 'x.img')).stderr).toMatch(/Missing verity hash partition for verity data partition with VerityMatchKey=root/);
    const growing = layout('growing', {
      '10-root.conf': `[Partition]\nType=root\nCopyBlocks=/data.bin\nVerity=data\nVerityMatchKey=root\n\n${disk}`,
      '20-hash.conf': '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nMinimize=best\n',
    });
    fs.writeFileSync(path.join(growing, 'data.bin'), 'x');
    expect(cli('build', growing, '-o', path.join(work, 'x.img')).stderr).toMatch(/does not set Minimize= or a fixed size/);
    const small = layout('small', {
      '10-root.conf': data(),
      '20-hash.conf': '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nSizeMinBytes=4K\nSizeMaxBytes=4K\n',
    });
    fs.writeFileSync(path.join(small, 'data.bin'), Buffer.alloc(1024 * 1024, 1));
    expect(cli('build', small, '-o', path.join(work, 'x.img')).stderr).toMatch(/hash tree of data partition .* needs \d+; raise its SizeMinBytes= or set Minimize=best/);
    const signed = layout('signed', {
      '10-root.conf': data(),
      '20-hash.conf': '[Partition]\nType=root-verity\nVerity=hash\nVerityMatchKey=root\nMinimize=best\n',
      '30-sig.conf': '[Partition]\nType=root-verity-sig\nVerity=signature\nVerityMatchKey=root\n',
    });
    fs.writeFileSync(path.join(signed, 'data.bin'), 'x');
    expect(cli('build', signed, '-o', path.join(work, 'x.img')).stderr).toMatch(/no private key provided \(--private-key= and --certificate=\)/);
    const rsa = keyPair('rsa'), ec = keyPair('ec');
    expect(cli('build', signed, '-o', path.join(work, 'x.img'), '--private-key', ec.key, '--certificate', rsa.cert).stderr).toMatch(/private key cannot be imported as an RSA key|does not belong to the certificate/);
    expect(fs.existsSync(path.join(work, 'x.img'))).toBe(false);
  });
});

describe('table parity with systemd-repart 252: data + verity hash + signature + swap', () => {
  it('the same offsets, sizes, types, labels and attribute bits as repart writes (UUIDs aside: 252 salts randomly)', () => {
    const MiB = 1024 * 1024;
    const dir = path.join(work, 'parity');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(4 * MiB, 3));
    const conf: Record<string, string> = {
      '10-usr.conf': '[Partition]\nType=usr\nCopyBlocks=/data.bin\nVerity=data\nVerityMatchKey=usr\nSizeMinBytes=8M\nSizeMaxBytes=8M\n',
      '20-hash.conf': '[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\nSizeMinBytes=128K\nSizeMaxBytes=128K\n',
      '25-sig.conf': '[Partition]\nType=usr-verity-sig\nVerity=signature\nVerityMatchKey=usr\n',
      '30-swap.conf': '[Partition]\nType=swap\nFormat=swap\nSizeMinBytes=16M\nSizeMaxBytes=16M\n',
      '40-root.conf': '[Partition]\nType=root\nSizeMinBytes=10M\n',
    };
    for (const [f, t] of Object.entries(conf)) fs.writeFileSync(path.join(dir, f), t);
    fs.appendFileSync(path.join(dir, '40-root.conf'), '\n[X-Partwright-Disk]\nTable=gpt\nSize=64M\nCopySource=.\n');
    const { key, cert } = keyPair('rsa');
    const ours = build(dir, 'parity.img', '--private-key', key, '--certificate', cert);
    const ourTable = (JSON.parse(execFileSync('sfdisk', ['--json', ours.out], { encoding: 'utf8' })) as { partitiontable: SfdiskTable }).partitiontable;

    // repart 252 places verity sets like any other partitions (the signature at its fixed 16 KiB);
    // its dry run on the verity definitions is the placement reference ...
    const img = path.join(work, 'repart-dry.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 64 * MiB);
    const repartDefs = path.join(work, 'repart.d');
    fs.mkdirSync(repartDefs, { recursive: true });
    for (const [f, t] of Object.entries(conf)) fs.writeFileSync(path.join(repartDefs, f), t.replace('/data.bin', path.join(dir, 'data.bin')).replace('Format=swap\n', ''));
    const dry = spawnSync(REPART, ['--empty=force', '--dry-run=yes', '--json=short', `--seed=${SEED}`, `--definitions=${repartDefs}`, `--private-key=${key}`, `--certificate=${cert}`, '--no-pager', img], { encoding: 'utf8' });
    const plan = JSON.parse(dry.stdout) as { type: string; label: string; offset: number; raw_size: number; uuid: string }[];
    expect(ours.plan.partitions.map((p) => [p.typeName, p.label, p.offsetBytes, p.sizeBytes])).toEqual(plan.map((e) => [e.type, e.label, e.offset, e.raw_size]));
    // Seed-derived UUIDs (the signature and swap partitions) agree too.
    expect(ours.plan.partitions[2]!.uuid).toBe(plan[2]!.uuid);
    expect(ours.plan.partitions[3]!.uuid).toBe(plan[3]!.uuid);

    // ... and the table it writes without the verity work (which needs a working loop device) is the
    // reference for the entries: starts, sizes, types, names, attribute bits.
    const spec: ImageSpec = {
      table: 'gpt', seed: SEED, partitions: [
        { type: 'usr', sizeMinBytes: 8 * MiB, sizeMaxBytes: 8 * MiB },
        { type: 'usr-verity', sizeMinBytes: 128 * 1024, sizeMaxBytes: 128 * 1024 },
        { type: 'usr-verity-sig', sizeMinBytes: 16384, sizeMaxBytes: 16384 },
        { type: 'swap', sizeMinBytes: 16 * MiB, sizeMaxBytes: 16 * MiB },
        { type: 'root', sizeMinBytes: 10 * MiB },
      ],
    };
    const theirs = runRepartCreate(spec, 64 * MiB);
    expect(theirs.status).toBe(0);
    const strip = (t: SfdiskTable) => t.partitions!.map((p) => ({ start: p.start, size: p.size, type: p.type.toLowerCase(), name: p.name, attrs: p.attrs ?? '' }));
    expect(strip(ourTable)).toEqual(strip(theirs.table!));
  });
});
