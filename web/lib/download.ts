/** Saving things the app made: a Blob (or an OPFS File) through a temporary object URL. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its reference by the time the next task runs; a minute is generous.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The raw image a build left in OPFS, as a disk-backed File (never read into memory here). */
export async function opfsFile(fileName: string): Promise<File> {
  const root = await navigator.storage.getDirectory();
  return (await root.getFileHandle(fileName)).getFile();
}

interface SaveFilePickerWindow {
  showSaveFilePicker?: (options: { suggestedName?: string }) => Promise<FileSystemFileHandle>;
}

/** Whether the File System Access API can save into a file the user picks (Chromium). */
export function canSaveWithPicker(): boolean {
  return typeof (window as SaveFilePickerWindow).showSaveFilePicker === 'function';
}

/** Asks where to save (must run in the click's user activation); the worker then writes the file. */
export async function pickSaveFile(suggestedName: string): Promise<FileSystemFileHandle> {
  const pick = (window as SaveFilePickerWindow).showSaveFilePicker;
  if (!pick) throw new Error('this browser cannot save into a chosen file; use Download');
  return pick({ suggestedName });
}
