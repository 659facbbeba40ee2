/**
 * First-boot customisation for any image that runs cloud-init: hostname, a user with a password
 * hash and SSH keys, Wi-Fi and locale, written as a NoCloud seed (`user-data`, `meta-data`,
 * `network-config` at the root of a vfat partition: the FIRMWARE/ESP, or one labelled CIDATA).
 * Values are written as JSON strings, which YAML reads as the same strings, so no value can break
 * the YAML. Same inputs, same bytes: the instance ID is derived from the settings, not random.
 */
import { Sha256 } from '../crypto/sha256.ts';

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

/** Every problem, each with what to do, in the order of the fields. */
export function validateCloudInit(c: CloudInitSpec): CloudInitProblem[] {
  const out: CloudInitProblem[] = [];
  const add = (field: keyof CloudInitSpec, message: string) => out.push({ field, message });
  if (c.hostname !== undefined && !HOSTNAME.test(c.hostname)) add('hostname', `Hostname "${c.hostname}" must be 1–63 letters, digits and "-", not starting or ending with "-".`);
  if (c.user !== undefined && !USER.test(c.user)) add('user', `User "${c.user}" must be a lower-case login name (a–z, 0–9, "_", "-"; at most 32 characters).`);
  if (c.passwordHash !== undefined) {
    if (c.user === undefined) add('passwordHash', 'A password hash needs a user to belong to.');
    if (!CRYPT.test(c.passwordHash)) add('passwordHash', 'Password hash must be a crypt(3) hash such as the output of `mkpasswd -m sha-512` or `openssl passwd -6` ($6$…); a plain password is never written.');
  }
  for (const [i, key] of (c.sshAuthorizedKeys ?? []).entries()) {
    if (!SSH_KEY.test(key.trim())) add('sshAuthorizedKeys', `SSH key ${i + 1} is not an OpenSSH public key line (ssh-ed25519 AAAA… comment).`);
  }
  if ((c.sshAuthorizedKeys?.length ?? 0) > 0 && c.user === undefined) add('sshAuthorizedKeys', 'SSH keys need a user to belong to.');
  if (c.wifiSsid !== undefined) {
    const n = new TextEncoder().encode(c.wifiSsid).length;
    if (n < 1 || n > 32) add('wifiSsid', `Wi-Fi network name is ${n} bytes; it must be 1–32.`);
  }
  if (c.wifiPassword !== undefined) {
    if (c.wifiSsid === undefined) add('wifiPassword', 'A Wi-Fi password needs a network name.');
    if (c.wifiPassword.length < 8 || c.wifiPassword.length > 63 || /[^\x20-\x7e]/.test(c.wifiPassword)) add('wifiPassword', 'Wi-Fi password (WPA2) must be 8–63 printable ASCII characters.');
  }
  if (c.wifiCountry !== undefined && !/^[A-Z]{2}$/.test(c.wifiCountry)) add('wifiCountry', `Wi-Fi country "${c.wifiCountry}" must be two capital letters (ISO 3166, e.g. GB).`);
  if (c.locale !== undefined && !LOCALE.test(c.locale)) add('locale', `Locale "${c.locale}" must look like en_GB.UTF-8.`);
  if (c.timezone !== undefined && !TIMEZONE.test(c.timezone)) add('timezone', `Time zone "${c.timezone}" must be a tz database name such as Europe/London.`);
  return out;
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
