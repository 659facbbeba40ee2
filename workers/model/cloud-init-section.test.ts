/**
 * [X-Partwright-CloudInit]: first-boot settings in the layout. Read from repart.d with errors at
 * file:line (a clear-text password where a hash belongs, a line that is no SSH key, a key that needs
 * another, Partition= naming no vfat partition), written back by the exporter, kept by layout JSON.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.ts';
import { readLayoutJson, stringifyLayoutJson } from './layout-json.ts';
import { exportRepartDirectory, parseRepartDirectory, type ConfFile } from './repart-conf.ts';
import { seedPartitionIndex } from './cloud-init.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7nXK9aOqQ3mX0m5r3Vt5y7H2m3g8Yb0y8nQ7xQ1Zk3 ada@laptop';
const HASH = '$6$partwright$7x7nO0zWbQ8WGh0S0nq8cVv8yGkq6oB3yq1m8C2t7o6cX1E7R1w3xQe7b8W7Yx0i7Y0t2r8e5Q9Z0p3s4u5v6.';
const ESP = '[Partition]\nType=esp\nLabel=FIRMWARE\nFormat=vfat\nSizeMinBytes=64M\n';
const ROOT = '[Partition]\nType=root\nFormat=ext4\nSizeMinBytes=64M\n';

const errors = (files: ConfFile[]) =>
  parseRepartDirectory(files).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);

describe('[X-Partwright-CloudInit]', () => {
  const section = ['[X-Partwright-CloudInit]', 'Hostname=pi-kitchen', 'User=ada', `PasswordHash=${HASH}`, `SSHAuthorizedKeys=${KEY}`,
    'SSHAuthorizedKeys=ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= work', 'WifiSSID=Kitchen "5G" #1', 'WifiPassword=correct horse',
    'WifiCountry=GB', 'Locale=en_GB.UTF-8', 'Timezone=Europe/London', 'Partition=FIRMWARE'].join('\n');

  it('reads every key into spec.cloudInit, exports the same lines and keeps them through layout JSON', () => {
    const files = [{ name: '10-esp.conf', text: `${ESP}\n${section}\n` }, { name: '20-root.conf', text: ROOT }];
    const r = parseRepartDirectory(files);
    expect(r.diagnostics).toEqual([]);
    expect(r.spec.cloudInit).toEqual({
      hostname: 'pi-kitchen', user: 'ada', passwordHash: HASH,
      sshAuthorizedKeys: [KEY, 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= work'],
      wifiSsid: 'Kitchen "5G" #1', wifiPassword: 'correct horse', wifiCountry: 'GB', locale: 'en_GB.UTF-8', timezone: 'Europe/London', partition: 'FIRMWARE',
    });
    const exported = exportRepartDirectory(r.spec);
    expect(exported[0]!.text).toContain(`\n${section}\n`);
    const text = stringifyLayoutJson(r.spec);
    expect(stringifyLayoutJson(readLayoutJson(text).spec!)).toBe(text);
    expect(stringifyLayoutJson(parseRepartDirectory(exported).spec)).toBe(text);
    expect(seedPartitionIndex(r.spec)).toBe(0);
  });

  it('an empty SSHAuthorizedKeys= clears the keys before it', () => {
    const r = parseRepartDirectory([{ name: '10-esp.conf', text: `${ESP}[X-Partwright-CloudInit]\nUser=ada\nSSHAuthorizedKeys=${KEY}\nSSHAuthorizedKeys=\nSSHAuthorizedKeys=${KEY.replace('ada@laptop', 'b')}\n` }]);
    expect(r.diagnostics).toEqual([]);
    expect(r.spec.cloudInit?.sshAuthorizedKeys).toEqual([KEY.replace('ada@laptop', 'b')]);
  });

  it.each([
    ['PasswordHash=hunter2', '10-esp.conf:8: PasswordHash= refused: Password hash must be a crypt(3) hash'],
    ['SSHAuthorizedKeys=ssh-ed25519 not-base64!', '10-esp.conf:8: SSHAuthorizedKeys= refused: "ssh-ed25519 not-base64!" is not an OpenSSH public key line'],
    ['Hostname=-pi', '10-esp.conf:8: Hostname= refused: Hostname "-pi" must be 1–63 letters'],
    ['WifiPassword=short\nWifiSSID=home', '10-esp.conf:8: WifiPassword= refused: Wi-Fi password (WPA2) must be 8–63'],
    ['WifiCountry=gb', '10-esp.conf:8: WifiCountry= refused: Wi-Fi country "gb" must be two capital letters'],
    ['Locale=english', '10-esp.conf:8: Locale= refused: Locale "english" must look like en_GB.UTF-8'],
    ['Partition=NIXOS', '10-esp.conf:8: Partition=NIXOS: No partition is labelled NIXOS'],
    ['PasswordHash=' + HASH, '10-esp.conf:8: PasswordHash=: A password hash needs a user to belong to.'],
    ['Hostname=pi\nWifiPassword=correct horse', '10-esp.conf:9: WifiPassword=: A Wi-Fi password needs a network name.'],
  ])('%s is refused at its line', (lines, message) => {
    const e = errors([{ name: '10-esp.conf', text: `${ESP}\n[X-Partwright-CloudInit]\n${lines}\n` }, { name: '20-root.conf', text: ROOT }]);
    expect(e).toHaveLength(1);
    expect(e[0]).toContain(message);
  });

  it('Partition= naming a partition that is not vfat is refused', () => {
    const e = errors([{ name: '10-esp.conf', text: ESP }, { name: '20-root.conf', text: `${ROOT}\n[X-Partwright-CloudInit]\nHostname=pi\nPartition=root\n` }]);
    expect(e).toEqual([expect.stringContaining('20-root.conf:8: Partition=root: Partition root is not vfat (Format=ext4)')]);
  });

  it('a key set in two files is refused at the second, naming the first', () => {
    const e = errors([
      { name: '10-esp.conf', text: `${ESP}\n[X-Partwright-CloudInit]\nHostname=a\n` },
      { name: '20-root.conf', text: `${ROOT}\n[X-Partwright-CloudInit]\nHostname=b\n` },
    ]);
    expect(e).toEqual(['20-root.conf:7: Hostname= in [X-Partwright-CloudInit] is already set in 10-esp.conf:8']);
  });

  it('an unknown key warns, as in the other sections', () => {
    const r = parseRepartDirectory([{ name: '10-esp.conf', text: `${ESP}[X-Partwright-CloudInit]\nHostname=pi\nPassword=hunter2\n` }]);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual(["10-esp.conf:8: Unknown key 'Password' in section [X-Partwright-CloudInit], ignoring."]);
  });

  it('layout JSON refuses a bad value with its path, and keeps the section in table order', () => {
    const bad = readLayoutJson(JSON.stringify({ table: 'gpt', cloudInit: { user: 'ada', passwordHash: 'hunter2' }, partitions: [] }));
    expect(bad.spec).toBeUndefined();
    expect(bad.diagnostics).toEqual([expect.objectContaining({ path: 'cloudInit.passwordHash', message: expect.stringContaining('a plain password is never written') })]);
    const keys = readLayoutJson(JSON.stringify({ table: 'gpt', cloudInit: { user: 'ada', sshAuthorizedKeys: ['nope'] }, partitions: [] }));
    expect(keys.diagnostics).toEqual([expect.objectContaining({ path: 'cloudInit.sshAuthorizedKeys', message: expect.stringContaining('[0]: SSH key 1 is not an OpenSSH public key line') })]);
    const unknown = readLayoutJson(JSON.stringify({ table: 'gpt', cloudInit: { password: 'x' }, partitions: [] }));
    expect(unknown.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', path: 'cloudInit.password' })]);
  });
});
