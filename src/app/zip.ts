/**
 * "Download all": one ZIP of the batch's finished PNGs. PNGs are already deflated, so the
 * entries are stored (level 0): packing is a copy, not a second compression.
 */
import { zipSync } from 'fflate';
import type { ZipFile } from './queue';

export async function zipFiles(files: readonly ZipFile[]): Promise<Blob> {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const f of files) entries[f.name] = [new Uint8Array(await f.blob.arrayBuffer()), { level: 0 }];
  return new Blob([zipSync(entries) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}

/** Saves `blob` as `name` through a temporary object URL. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
