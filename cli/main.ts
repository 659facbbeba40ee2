/**
 * `partwright`: build, plan and inspect disk images from repart.d directories or layout JSON.
 * Exit 0 on success; on failure a non-zero exit and one line on stderr saying what to fix.
 */
import { isPartwrightError } from '../workers/model/errors.ts';
import { formatFlagHelp, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.ts';
import { FILE_SYSTEMS, ISO_FORMAT, OUTPUT_FORMATS } from '../workers/model/registry.ts';
import { PACKAGE_VERSION } from '../workers/version.ts';

// Each command's module (and whatever engine code and WASM tool it needs) loads only when that
// command runs: `partwright plan` never parses the build, Nix or zstd code.
const runBuild = async (a: ParsedArgs) => (await import('./commands/build.ts')).runBuild(a);
const runConvert = async (a: ParsedArgs) => (await import('./commands/convert.ts')).runConvert(a);
const runInspect = async (a: ParsedArgs) => (await import('./commands/inspect.ts')).runInspect(a);
const runPlan = async (a: ParsedArgs) => (await import('./commands/plan.ts')).runPlan(a);
const runPresets = async (a: ParsedArgs) => (await import('./commands/presets.ts')).runPresets(a);

const COMMON: FlagSpec[] = [
  { name: 'help', short: 'h', takesValue: false, help: 'show this help' },
  { name: 'json', takesValue: false, optionalValue: true, help: 'print machine-readable JSON instead of a table; plan --json=repart prints systemd-repart --json=pretty\'s shape' },
];
const LAYOUT_FLAGS: FlagSpec[] = [
  { name: 'definitions', takesValue: true, repeatable: true, valueName: 'DIR', help: 'another repart.d directory, merged after LAYOUT (repeatable; of two files with the same name the earlier directory\'s wins, as in systemd-repart)' },
  { name: 'preset', takesValue: true, valueName: 'NAME', help: 'build a preset (see partwright presets): alone, its own layout; with LAYOUT, sets the layout\'s Preset= (its boot loaders and files; Preset= in [X-Partwright-Disk]); its files come from --copy-source' },
  { name: 'repart-version', takesValue: true, valueName: '252|latest', help: 'behave like this systemd-repart where versions differ (default latest; RepartVersion= in [X-Partwright-Disk])' },
  { name: 'sector-size', takesValue: true, valueName: 'BYTES', help: '512, 1024, 2048 or 4096 (as repart --sector-size=; SectorSize= in [X-Partwright-Disk])' },
  { name: 'os-release', takesValue: true, valueName: 'FILE', help: 'os-release file whose IMAGE_VERSION=, IMAGE_ID=, ID=, VERSION_ID=, VARIANT_ID=, BUILD_ID= fill %A %M %o %w %W %B' },
  { name: 'image-version', takesValue: true, valueName: 'VERSION', help: 'value of %A (overrides the os-release file\'s IMAGE_VERSION=)' },
  { name: 'image-id', takesValue: true, valueName: 'ID', help: 'value of %M (overrides the os-release file\'s IMAGE_ID=)' },
  { name: 'architecture', takesValue: true, valueName: 'ARCH', help: 'what Type=root, usr … mean and the value of %a (as repart --architecture=)' },
  { name: 'host-specifiers', takesValue: false, help: 'take %H %l %q %m %b %v %a from this machine (never done otherwise)' },
  { name: 'include-partitions', takesValue: true, valueName: 'TYPES', help: 'read only definitions of these types (comma-separated, as repart --include-partitions=)' },
  { name: 'exclude-partitions', takesValue: true, valueName: 'TYPES', help: 'leave out definitions of these types (comma-separated, as repart --exclude-partitions=)' },
  { name: 'size', takesValue: true, valueName: 'auto|BYTES', help: 'disk size: auto (the minimum) or bytes with K/M/G/T suffixes' },
  { name: 'seed', takesValue: true, valueName: 'UUID', help: 'seed for disk and partition UUIDs (default: the layout\'s, else nixpkgs\' image.repart seed)' },
  { name: 'base', takesValue: true, valueName: 'IMG', help: 'keep this image\'s partitions and add the layout\'s new ones' },
  { name: 'empty', takesValue: true, valueName: 'MODE', help: 'as repart --empty=: refuse (default with --base: needs its GPT), allow, require (an unlabelled image), force (start over on the image\'s size), create (default without --base)' },
  { name: 'copy-from', takesValue: true, repeatable: true, valueName: 'IMAGE', help: 'copy every partition of this GPT image in first, same type, UUID, label, flags, size and padding (repeatable; as repart --copy-from=)' },
  { name: 'grain-size', takesValue: true, valueName: 'BYTES', help: 'placement granularity, at least the sector size (as the newest repart --grain-size=; default 4096)' },
  { name: 'defer-partitions', takesValue: true, valueName: 'TYPES', help: 'plan these types (comma-separated) but do not write them; their space stays free (as repart --defer-partitions=)' },
  { name: 'copy-source', takesValue: true, valueName: 'DIR', help: 'root that absolute CopyFiles=/CopyBlocks= sources resolve against' },
];

const COMMANDS: Record<string, { usage: string; summary: string; flags: FlagSpec[]; run: (a: ParsedArgs) => Promise<void> | void }> = {
  build: {
    usage: 'partwright build LAYOUT -o OUT.img [--size auto|BYTES] [--seed UUID] [--base IMG [--in-place]] [--copy-source DIR] [--output-format FORMAT] [--private-key FILE --certificate FILE] [--json]',
    summary: 'plan the layout and write the image',
    flags: [
      { name: 'output', short: 'o', takesValue: true, valueName: 'OUT', help: 'image file to write (written to OUT.partial, then renamed)' },
      ...LAYOUT_FLAGS,
      { name: 'in-place', takesValue: false, help: 'with --base: write into the base image itself instead of a new file' },
      { name: 'generate-fstab', takesValue: true, valueName: 'PATH', help: 'write fstab lines for MountPoint= partitions to PATH (under --copy-source), before the file systems are filled (as repart --generate-fstab=)' },
      { name: 'append-fstab', takesValue: true, valueName: 'no|auto|replace', help: 'with --generate-fstab: auto keeps an existing file around the generated section, replace overwrites it' },
      { name: 'generate-crypttab', takesValue: true, valueName: 'PATH', help: 'as repart --generate-crypttab= (no file: Partwright makes no encrypted partitions)' },
      { name: 'output-format', takesValue: true, valueName: 'FORMAT', help: `${OUTPUT_FORMATS.map((f) => f.name).join('|')} (default raw; bmap writes OUT and OUT.bmap; split writes OUT.<type>.raw per partition)` },
      { name: 'substituter', takesValue: true, repeatable: true, valueName: 'URL', help: 'binary cache for StorePaths= closures (as nix.conf substituters; repeatable, tried in order)' },
      { name: 'trusted-public-key', takesValue: true, repeatable: true, valueName: 'NAME:BASE64', help: 'key whose signatures are trusted on narinfos (repeatable)' },
      { name: 'max-piece-bytes', takesValue: true, valueName: 'BYTES', help: 'android-sparse: split into pieces of at most this size (fastboot max-download-size)' },
      { name: 'private-key', takesValue: true, valueName: 'FILE', help: 'PEM private key (RSA or ECDSA P-256) that signs Verity=signature partitions' },
      { name: 'certificate', takesValue: true, valueName: 'FILE', help: 'PEM X.509 certificate of --private-key, named in Verity=signature partitions' },
      { name: 'cloud-init-hostname', takesValue: true, valueName: 'NAME', help: 'first boot (cloud-init NoCloud seed in the vfat CIDATA/ESP/FIRMWARE partition; these flags override [X-Partwright-CloudInit] in the layout, --cloud-init-ssh-key adds to its keys): hostname' },
      { name: 'cloud-init-user', takesValue: true, valueName: 'LOGIN', help: 'first boot: a user to create (sudo group)' },
      { name: 'cloud-init-password-hash', takesValue: true, valueName: 'HASH', help: "first boot: the user's crypt(3) password hash (mkpasswd -m sha-512)" },
      { name: 'cloud-init-ssh-key', takesValue: true, repeatable: true, valueName: 'KEY', help: 'first boot: an SSH public key line for the user (repeatable)' },
      { name: 'cloud-init-wifi-ssid', takesValue: true, valueName: 'SSID', help: 'first boot: Wi-Fi network (wlan0)' },
      { name: 'cloud-init-wifi-password', takesValue: true, valueName: 'PASS', help: 'first boot: Wi-Fi WPA2 passphrase' },
      { name: 'cloud-init-wifi-country', takesValue: true, valueName: 'CC', help: 'first boot: Wi-Fi regulatory domain (GB, US, …)' },
      { name: 'cloud-init-locale', takesValue: true, valueName: 'LOCALE', help: 'first boot: locale (en_GB.UTF-8)' },
      { name: 'cloud-init-timezone', takesValue: true, valueName: 'TZ', help: 'first boot: time zone (Europe/London)' },
      { name: 'cloud-init-partition', takesValue: true, valueName: 'LABEL', help: 'first boot: the vfat partition (its Label=) that gets the seed (default CIDATA, else the ESP/FIRMWARE)' },
      ...COMMON,
    ],
    run: runBuild,
  },
  plan: {
    usage: 'partwright plan LAYOUT [--size auto|BYTES] [--seed UUID] [--base IMG] [--json]',
    summary: 'show the partition table the layout gives, without writing anything',
    flags: [
      ...LAYOUT_FLAGS,
      ...COMMON,
    ],
    run: runPlan,
  },
  convert: {
    usage: 'partwright convert IMG -o OUT --output-format FORMAT [--max-piece-bytes BYTES] [--seed UUID] [--json]',
    summary: 'write an existing raw image in another format (Android sparse, bmap, qcow2, VHD, gz), reading only its data',
    flags: [
      { name: 'output', short: 'o', takesValue: true, valueName: 'OUT', help: 'file to write' },
      { name: 'output-format', takesValue: true, valueName: 'FORMAT', help: `${OUTPUT_FORMATS.filter((f) => !f.needsPlan).map((f) => f.name).join('|')}` },
      { name: 'max-piece-bytes', takesValue: true, valueName: 'BYTES', help: 'android-sparse: split into pieces of at most this size' },
      { name: 'seed', takesValue: true, valueName: 'UUID', help: 'seed for the VHD unique ID' },
      ...COMMON,
    ],
    run: runConvert,
  },
  presets: {
    usage: 'partwright presets [--json]',
    summary: 'list the presets (NixOS image kinds) and the files each needs',
    flags: COMMON,
    run: runPresets,
  },
  inspect: {
    usage: 'partwright inspect IMG [--json]',
    summary: 'decode an image\'s partition tables, partitions and blobs',
    flags: COMMON,
    run: runInspect,
  },
};

function mainHelp(): string {
  const lines = [
    'partwright — compose disk images from systemd-repart style layouts',
    '',
    'Usage: partwright COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
    'LAYOUT is a repart.d directory (*.conf) or a layout .json file.',
    `Format= makes ${FILE_SYSTEMS.map((f) => f.name).join(', ')} (and ${ISO_FORMAT} for Table=iso); outputs: ${OUTPUT_FORMATS.map((f) => f.name).join(', ')}.`,
    'Run `partwright COMMAND --help` for a command\'s options.',
  ];
  return lines.join('\n');
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `Usage: ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\nOptions:\n${formatFlagHelp(c.flags)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write((topic && COMMANDS[topic] ? commandHelp(topic) : mainHelp()) + '\n');
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`partwright ${PACKAGE_VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS[command];
  if (!cmd) {
    process.stderr.write(`partwright: unknown command '${command}'; commands are ${Object.keys(COMMANDS).join(', ')} (see partwright --help)\n`);
    return 2;
  }
  try {
    const args = parseArgs(rest, cmd.flags);
    if (args.flags.has('help')) {
      process.stdout.write(commandHelp(command) + '\n');
      return 0;
    }
    await cmd.run(args);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`partwright ${command}: ${e.message} (see partwright ${command} --help)\n`);
      return 2;
    }
    if (isPartwrightError(e)) {
      process.stderr.write(`partwright ${command}: ${oneLine(e.message)}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.syscall) {
      const where = err.path ? `${err.syscall} ${err.path}` : err.syscall;
      process.stderr.write(`partwright ${command}: ${where}: ${err.code === 'ENOSPC' ? 'no space left on the device' : oneLine(err.message)}\n`);
      return 1;
    }
    process.stderr.write(`partwright ${command}: internal error: ${oneLine(String((e as Error)?.stack ?? e))}\n`);
    return 70;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

