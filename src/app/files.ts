/**
 * Files from a drop, a folder drop (DataTransferItem.webkitGetAsEntry, walking directories for
 * image files) or a folder picker (<input webkitdirectory>).
 */
const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|avif|tiff?)$/i;

export const isImageFile = (f: File): boolean => f.type.startsWith('image/') || IMAGE_EXT.test(f.name);

const fileOf = (e: FileSystemFileEntry) => new Promise<File>((res, rej) => e.file(res, rej));

async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  // readEntries answers in chunks (about 100 at a time) until an empty one.
  for (;;) {
    const chunk = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (chunk.length === 0) return out;
    out.push(...chunk);
  }
}

async function walk(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    const f = await fileOf(entry as FileSystemFileEntry);
    if (isImageFile(f)) out.push(f);
  } else if (entry.isDirectory) {
    const children = await readAll(entry as FileSystemDirectoryEntry);
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const c of children) await walk(c, out);
  }
}

/**
 * The dropped files, folders walked for images. Must be called during the drop event. Plain
 * files come back at once (so they open in the drop's own task, with the mode of that moment)
 * whatever their type, so a non-image still gets its error; a folder walk is asynchronous.
 */
export function droppedFiles(dt: DataTransfer | null): File[] | Promise<File[]> {
  if (!dt) return [];
  const items = Array.from(dt.items ?? []).filter((it) => it.kind === 'file');
  const entries = items.map((it) => it.webkitGetAsEntry?.() ?? null);
  if (!entries.some((e) => e?.isDirectory)) {
    const files = Array.from(dt.files ?? []);
    return files.length > 0 ? files : items.map((it) => it.getAsFile()).filter((f): f is File => f !== null);
  }
  const plain = items.map((it) => it.getAsFile());
  return (async () => {
    const out: File[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e?.isDirectory) await walk(e, out);
      else if (plain[i]) out.push(plain[i]!);
    }
    return out;
  })();
}
