/**
 * First-boot customisation for any image that runs cloud-init: hostname, a user with a password
 * hash and SSH keys, Wi-Fi and locale, written as a NoCloud seed (`user-data`, `meta-data`,
 * `network-config` at the root of a vfat partition: the FIRMWARE/ESP, or one labelled CIDATA).
 * Values are written as JSON strings, which YAML reads as the same strings, so no value can break
 * the YAML. Same inputs, same bytes: the instance ID is derived from the settings, not random.
 */
import { Sha256 } from '../crypto/sha256.ts';
import type { ImageSpec } from './spec.ts';

export interface CloudInitSpec {
  hostname?: string;
  /** The user to create (added to the sudo group). */
  user?: string;
  /** A crypt(3) hash (`mkpasswd -m sha-512`, `openssl passwd -6`): never a plain password. */
  passwordHash?: string;
  sshAuthorizedKeys?: string[];
  wifiSsid?: string;
  /** WPA2 passphrase (8–63 characters). */
  wifiPassword?: string;
  /** Regulatory domain, ISO 3166 alpha-2 (`GB`). */
  wifiCountry?: string;
  /** `en_GB.UTF-8`. */
  locale?: string;
  /** `Europe/London`. */
  timezone?: string;
  /**
   * Which vfat partition gets the seed: its `Label=` (or its `Type=` when it has none). Default: the
   * one labelled CIDATA, else the ESP or FIRMWARE partition, else the first vfat one.
   */
  partition?: string;
}

export interface CloudInitProblem {
  /** The key of CloudInitSpec it is about. */
  field: keyof CloudInitSpec;
  message: string;
}

/** The seed's files by name, as cloud-init's NoCloud data source reads them. */
export type CloudInitSeed = Record<'user-data' | 'meta-data', string> & { 'network-config'?: string };

const HOSTNAME = /^(?=.{1,63}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/** crypt(3) hashes cloud-init hands to chpasswd -e / useradd -p: yescrypt, SHA-512, SHA-256, bcrypt, MD5. */
const CRYPT = /^\$(y|6|5|2[aby]?|1)\$[./A-Za-z0-9$=,-]+$/;
const SSH_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
const LOCALE = /^[a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?$|^C(\.UTF-8)?$/;
const TIMEZONE = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;

/** Settings that go into the seed (all but `partition`, which says where it goes). */
export const CLOUD_INIT_SETTINGS = ['hostname', 'user', 'passwordHash', 'sshAuthorizedKeys', 'wifiSsid', 'wifiPassword', 'wifiCountry', 'locale', 'timezone'] as const;

/** True when there is a seed to write: any setting besides `partition`. */
export function hasCloudInitSettings(c: CloudInitSpec | undefined): boolean {
  return !!c && CLOUD_INIT_SETTINGS.some((k) => c[k] !== undefined && !(Array.isArray(c[k]) && c[k].length === 0));
}

/** One SSH key line: undefined when it is an OpenSSH public key line, else what is wrong. */
export function checkSshKey(key: string, n = 1): string | undefined {
  return SSH_KEY.test(key.trim()) ? undefined : `SSH key ${n} is not an OpenSSH public key line (ssh-ed25519 AAAA… comment).`;
}

/**
 * One value on its own (without the other settings): undefined when fine, else what is wrong, in
 * words a user can act on. The field table (fields.ts) checks .conf lines, layout JSON and forms with it.
 */
export function checkCloudInitValue(field: Exclude<keyof CloudInitSpec, 'sshAuthorizedKeys'>, v: string): string | undefined {
  switch (field) {
    case 'hostname':
      return HOSTNAME.test(v) ? undefined : `Hostname "${v}" must be 1–63 letters, digits and "-", not starting or ending with "-".`;
    case 'user':
      return USER.test(v) ? undefined : `User "${v}" must be a lower-case login name (a–z, 0–9, "_", "-"; at most 32 characters).`;
    case 'passwordHash':
      return CRYPT.test(v) ? undefined : 'Password hash must be a crypt(3) hash such as the output of `mkpasswd -m sha-512` or `openssl passwd -6` ($6$…); a plain password is never written.';
    case 'wifiSsid': {
      const n = new TextEncoder().encode(v).length;
      return n >= 1 && n <= 32 ? undefined : `Wi-Fi network name is ${n} bytes; it must be 1–32.`;
    }
    case 'wifiPassword':
      return v.length >= 8 && v.length <= 63 && !/[^\x20-\x7e]/.test(v) ? undefined : 'Wi-Fi password (WPA2) must be 8–63 printable ASCII characters.';
    case 'wifiCountry':
      return /^[A-Z]{2}$/.test(v) ? undefined : `Wi-Fi country "${v}" must be two capital letters (ISO 3166, e.g. GB).`;
    case 'locale':
      return LOCALE.test(v) ? undefined : `Locale "${v}" must look like en_GB.UTF-8.`;
    case 'timezone':
      return TIMEZONE.test(v) ? undefined : `Time zone "${v}" must be a tz database name such as Europe/London.`;
    case 'partition':
      return v !== '' && v.length <= 36 ? undefined : 'Partition must be the label of a vfat partition (at most 36 characters).';
  }
}

/** What only the settings together show: a password hash or SSH keys without a user, a Wi-Fi password without a network. */
export function crossCheckCloudInit(c: CloudInitSpec): CloudInitProblem[] {
  const out: CloudInitProblem[] = [];
  if (c.passwordHash !== undefined && c.user === undefined) out.push({ field: 'passwordHash', message: 'A password hash needs a user to belong to.' });
  if ((c.sshAuthorizedKeys?.length ?? 0) > 0 && c.user === undefined) out.push({ field: 'sshAuthorizedKeys', message: 'SSH keys need a user to belong to.' });
  if (c.wifiPassword !== undefined && c.wifiSsid === undefined) out.push({ field: 'wifiPassword', message: 'A Wi-Fi password needs a network name.' });
  return out;
}

/** Every problem, each with what to do, in the order of the fields. */
export function validateCloudInit(c: CloudInitSpec): CloudInitProblem[] {
  const out: CloudInitProblem[] = [];
  const order: (keyof CloudInitSpec)[] = [...CLOUD_INIT_SETTINGS, 'partition'];
  const cross = crossCheckCloudInit(c);
  for (const field of order) {
    out.push(...cross.filter((p) => p.field === field));
    const v = c[field];
    if (v === undefined) continue;
    if (field === 'sshAuthorizedKeys') {
      (v as string[]).forEach((key, i) => {
        const m = checkSshKey(key, i + 1);
        if (m) out.push({ field, message: m });
      });
    } else {
      const m = checkCloudInitValue(field, v as string);
      if (m) out.push({ field, message: m });
    }
  }
  return out;
}

/**
 * Every problem with the layout's first-boot settings, each at its field (`cloudInit.<key>`): the
 * values, settings that need another, and a vfat partition for the seed (the one Partition= names).
 * The one check the engine's validate(), the planner, the app and the CLI use (workers/plan/validate.ts);
 * the importer reports the same as warnings at file:line, since the app lets these through while editing.
 */
export function cloudInitSpecProblems(spec: ImageSpec): CloudInitProblem[] {
  const c = spec.cloudInit;
  if (!c) return [];
  const out = validateCloudInit(c);
  if (hasCloudInitSettings(c) || c.partition !== undefined) {
    const at = seedPartitionIndex(spec, c);
    if (typeof at === 'string' && !out.some((p) => p.field === 'partition')) out.push({ field: 'partition', message: at });
  }
  return out;
}

/** A partition the seed can go into: vfat, named by `CloudInitSpec.partition` as its label (or type). */
export interface SeedPartitionChoice {
  index: number;
  /** The label, or the type when there is none: what `Partition=` names. */
  name: string;
}

/** The vfat partitions a seed can go into, in layout order. */
export function seedPartitionChoices(spec: ImageSpec): SeedPartitionChoice[] {
  return spec.partitions.flatMap((p, index) => (p.format === 'vfat' ? [{ index, name: p.label || p.type }] : []));
}

/**
 * Which partition the seed goes into: the one `partition` names, else a vfat one labelled CIDATA (what
 * NoCloud looks for by label), else the ESP or the FIRMWARE partition, else the first vfat one. A
 * string is the problem, in words.
 */
export function seedPartitionIndex(spec: ImageSpec, c: CloudInitSpec | undefined = spec.cloudInit): number | string {
  const vfat = spec.partitions.flatMap((p, i) => (p.format === 'vfat' ? [{ p, i }] : []));
  const named = c?.partition;
  if (named !== undefined) {
    const hit = spec.partitions.findIndex((p) => (p.label || p.type) === named);
    if (hit < 0) return `No partition is labelled ${named}; the seed goes into a vfat partition (${vfat.length ? vfat.map(({ p }) => p.label || p.type).join(', ') : 'there is none'}).`;
    if (spec.partitions[hit]!.format !== 'vfat') return `Partition ${named} is not vfat (Format=${spec.partitions[hit]!.format ?? 'none'}); cloud-init reads its seed from a vfat file system.`;
    return hit;
  }
  const pick =
    vfat.find(({ p }) => p.label?.toUpperCase() === 'CIDATA') ??
    vfat.find(({ p }) => p.type === 'esp' || p.label?.toUpperCase() === 'FIRMWARE') ??
    vfat[0];
  return pick ? pick.i : 'The cloud-init seed needs a vfat partition: format the ESP/FIRMWARE partition as vfat, or add one labelled CIDATA.';
}

const q = (s: string): string => JSON.stringify(s);

/** The seed files for `c` (call validateCloudInit first: this writes what it is given). */
export function makeCloudInitSeed(c: CloudInitSpec): CloudInitSeed {
  const lines = ['#cloud-config'];
  if (c.hostname !== undefined) lines.push(`hostname: ${q(c.hostname)}`, 'preserve_hostname: false');
  if (c.locale !== undefined) lines.push(`locale: ${q(c.locale)}`);
  if (c.timezone !== undefined) lines.push(`timezone: ${q(c.timezone)}`);
  const keys = (c.sshAuthorizedKeys ?? []).map((k) => k.trim()).filter(Boolean);
  if (c.user !== undefined) {
    lines.push('users:', `  - name: ${q(c.user)}`, '    groups: [sudo]', '    shell: /bin/bash');
    if (c.passwordHash !== undefined) lines.push(`    passwd: ${q(c.passwordHash)}`, '    lock_passwd: false');
    else lines.push('    lock_passwd: true');
    if (keys.length) lines.push('    ssh_authorized_keys:', ...keys.map((k) => `      - ${q(k)}`));
  }
  // Password logins over SSH only when a password was set and no key was given.
  lines.push(`ssh_pwauth: ${c.passwordHash !== undefined && keys.length === 0 ? 'true' : 'false'}`);
  const userData = `${lines.join('\n')}\n`;

  let networkConfig: string | undefined;
  if (c.wifiSsid !== undefined) {
    const net = ['version: 2', 'wifis:', '  wlan0:', '    dhcp4: true', '    optional: true'];
    if (c.wifiCountry !== undefined) net.push(`    regulatory-domain: ${q(c.wifiCountry)}`);
    net.push('    access-points:');
    if (c.wifiPassword !== undefined) net.push(`      ${q(c.wifiSsid)}:`, `        password: ${q(c.wifiPassword)}`);
    else net.push(`      ${q(c.wifiSsid)}: {}`);
    networkConfig = `${net.join('\n')}\n`;
  }

  // A new instance ID whenever the settings change, so cloud-init applies them again.
  const digest = new Sha256().update(new TextEncoder().encode(userData + (networkConfig ?? ''))).digest();
  const id = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  const meta = [`instance-id: partwright-${id}`];
  if (c.hostname !== undefined) meta.push(`local-hostname: ${q(c.hostname)}`);
  const seed: CloudInitSeed = { 'user-data': userData, 'meta-data': `${meta.join('\n')}\n` };
  if (networkConfig !== undefined) seed['network-config'] = networkConfig;
  return seed;
}
