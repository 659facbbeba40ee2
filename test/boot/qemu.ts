/**
 * Boots an image in QEMU (TCG only: /dev/kvm does not work on these machines), q35, 512 MiB, with
 * OVMF (a private copy of OVMF_VARS_4M.fd per boot) or SeaBIOS, the serial console captured.
 * Returns as soon as the marker line (or the initramfs' failure line) appears, or at the timeout.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OVMF_CODE, OVMF_VARS } from './assets.ts';

export type Firmware = 'ovmf' | 'seabios';
export type Media = 'disk' | 'cdrom';

export interface BootRun {
  image: string;
  firmware: Firmware;
  media?: Media;
  /** The line that proves the boot: init prints `PARTWRIGHT-MARKER: <marker file contents>`. */
  expect: string;
  timeoutMs?: number;
}

export interface BootOutcome {
  ok: boolean;
  seconds: number;
  /** The serial log (firmware, loader, kernel, init). */
  log: string;
  reason: string;
}

export function bootImage(run: BootRun): Promise<BootOutcome> {
  const timeoutMs = run.timeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), 'partwright-qemu-'));
  const args = ['-machine', 'q35', '-accel', 'tcg', '-m', '512', '-smp', '1',
    '-display', 'none', '-vga', 'none', '-nic', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot'];
  if (run.firmware === 'ovmf') {
    const vars = join(dir, 'OVMF_VARS_4M.fd');
    copyFileSync(OVMF_VARS, vars);
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${vars}`);
  }
  if ((run.media ?? 'disk') === 'disk') {
    args.push('-drive', `file=${run.image},format=raw,if=virtio,snapshot=on`);
  } else {
    args.push('-drive', `file=${run.image},format=raw,media=cdrom,if=none,id=cd,readonly=on`, '-device', 'ide-cd,drive=cd,bootindex=0');
  }

  const started = performance.now();
  return new Promise((resolvePromise) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let done = false;
    const finish = (ok: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      qemu.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      resolvePromise({ ok, seconds: (performance.now() - started) / 1000, log, reason });
    };
    const timer = setTimeout(() => finish(false, `no marker within ${timeoutMs / 1000} s`), timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString('latin1');
      if (log.includes(run.expect)) finish(true, 'marker seen');
      else if (/PARTWRIGHT-FAIL: .*\n/.test(log)) finish(false, 'initramfs reported a failure');
    };
    qemu.stdout.on('data', onData);
    qemu.stderr.on('data', onData);
    qemu.on('exit', (code) => finish(false, `QEMU exited (${code}) before the marker`));
    qemu.on('error', (e) => finish(false, `QEMU did not start: ${e.message}`));
  });
}

/** The serial log without terminal escape sequences, for failure messages. */
export function readableLog(log: string): string {
  // eslint-disable-next-line no-control-regex
  return log.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
