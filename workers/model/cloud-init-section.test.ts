/**
 * [X-Partwright-CloudInit]: first-boot settings in the layout. Read from repart.d with errors at
 * file:line (a clear-text password where a hash belongs, a line that is no SSH key); settings that
 * need another and Partition= naming no vfat partition are warnings there, problems at their field in
 * the engine's validation and refused by the build; written back by the exporter, kept by layout JSON.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.ts';
import { readLayoutJson, stringifyLayoutJson } from './layout-json.ts';
import { exportRepartDirectory, parseRepartDirectory, type ConfFile } from './repart-conf.ts';
import { seedPartitionIndex } from './cloud-init.ts';
import { ErrorCode } from './errors.ts';
import { validateSpec } from '../plan/validate.ts';
import { planImage } from '../plan/plan-image.ts';
import { withCloudInitSeed } from '../build/cloud-init-seed.ts';

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
  ])('%s is refused at its line', (lines, message) => {
    const e = errors([{ name: '10-esp.conf', text: `${ESP}\n[X-Partwright-CloudInit]\n${lines}\n` }, { name: '20-root.conf', text: ROOT }]);
    expect(e).toHaveLength(1);
    expect(e[0]).toContain(message);
  });

  // Settings that need another and Partition= naming no vfat partition: the app and layout JSON hold
  // them while editing, so the importer must take back what export wrote. Warnings at file:line,
  // problems from the engine's validation at the field, and the build refuses them.
  it.each([
    ['Hostname=pi\nPartition=NIXOS', '10-esp.conf:9: Partition=NIXOS: No partition is labelled NIXOS', 'cloudInit.partition'],
    ['Hostname=pi\nPartition=root', '10-esp.conf:9: Partition=root: Partition root is not vfat (Format=ext4)', 'cloudInit.partition'],
    ['PasswordHash=' + HASH, '10-esp.conf:8: PasswordHash=: A password hash needs a user to belong to.', 'cloudInit.passwordHash'],
    [`SSHAuthorizedKeys=${KEY}`, '10-esp.conf:8: SSHAuthorizedKeys=: SSH keys need a user to belong to.', 'cloudInit.sshAuthorizedKeys'],
    ['Hostname=pi\nWifiPassword=correct horse', '10-esp.conf:9: WifiPassword=: A Wi-Fi password needs a network name.', 'cloudInit.wifiPassword'],
  ])('%s: a warning at its line, a problem at its field, refused by the build; export and import give it back', (lines, message, where) => {
    const files = [{ name: '10-esp.conf', text: `${ESP}\n[X-Partwright-CloudInit]\n${lines}\n` }, { name: '20-root.conf', text: ROOT }];
    const r = parseRepartDirectory(files);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([expect.stringContaining(message)]);
    const problems = validateSpec(r.spec);
    expect(problems).toEqual([{ where, message: expect.stringContaining(message.replace(/^.*?=[^:]*: /, '').slice(0, 20)) }]);
    expect(() => withCloudInitSeed(r.spec, {})).toThrow(expect.objectContaining({ code: ErrorCode.InvalidSpec, detail: { where } }));
    // The planner still lays it out (first boot does not change the table).
    expect(planImage(r.spec, { sizeBytes: 'auto' }).partitions).toHaveLength(2);
    // The same layout from layout JSON exports to files the importer accepts, unchanged.
    const text = stringifyLayoutJson(r.spec);
    const fromJson = readLayoutJson(text);
    expect(fromJson.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const again = parseRepartDirectory(exportRepartDirectory(fromJson.spec!));
    expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(stringifyLayoutJson(again.spec)).toBe(text);
  });

  it("the engine's validate() (what the app shows at the field) reports the section; the planner still lays the disk out", async () => {
    const { engine } = await import('../engine.ts');
    const spec = parseRepartDirectory([{ name: '10-esp.conf', text: `${ESP}[X-Partwright-CloudInit]\nHostname=pi\nWifiPassword=correct horse\nPartition=ROOT\n` }, { name: '20-root.conf', text: `${ROOT}Label=ROOT\n` }]).spec;
    expect(engine.validate(spec)).toEqual([
      { where: 'cloudInit.wifiPassword', message: 'A Wi-Fi password needs a network name.' },
      { where: 'cloudInit.partition', message: 'Partition ROOT is not vfat (Format=ext4); cloud-init reads its seed from a vfat file system.' },
    ]);
    expect(engine.plan(spec).ok).toBe(true);
    // Layout JSON may also hold a value the importer would refuse (a JS caller, an old file): validate() says so too.
    expect(engine.validate({ ...spec, cloudInit: { hostname: '-pi', user: 'ada' } })).toEqual([
      { where: 'cloudInit.hostname', message: expect.stringContaining('Hostname "-pi" must be') },
    ]);
  });

  it('only Partition= naming no partition: a warning, and the build refuses it too', () => {
    const r = parseRepartDirectory([{ name: '10-esp.conf', text: `${ESP}[X-Partwright-CloudInit]\nPartition=NIXOS\n` }]);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning']);
    expect(() => withCloudInitSeed(r.spec, {})).toThrow('No partition is labelled NIXOS');
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
