/**
 * Files handed to the installed app by the OS: an image shared to it (the manifest's
 * share_target; public/share-target.js, in the service worker, stores it and reloads the page at
 * ./?shared=1) and images opened with it (file_handlers, through the Launch Handler API's
 * launchQueue). Either way the file is opened exactly like a dropped one.
 */
import { useStore } from './store';

/** Where public/share-target.js keeps the shared file; keep in step with it. */
const SHARE_CACHE = 'bitsr-share';
const SHARED_KEY = 'shared-image';
const MARKER = 'shared';

/** The Launch Handler API (Chromium only, not in lib.dom): feature-detected, typed here. */
interface LaunchParams {
  files: ReadonlyArray<{ kind: string; getFile(): Promise<File> }>;
}
interface LaunchQueue {
  setConsumer(consumer: (params: LaunchParams) => void): void;
}

const open = (file: Blob) => useStore.getState().open(file);
const fail = (message: string): void => {
  useStore.setState((s) => ({ errors: [...s.errors, message] }));
};

/** Takes the shared file out of storage (so a reload does not open it again) and opens it. */
async function openShared(): Promise<void> {
  const url = new URL(location.href);
  url.searchParams.delete(MARKER);
  history.replaceState(history.state, '', url.href);
  if (!('caches' in self)) return;
  const key = new URL(SHARED_KEY, url).href;
  const cache = await caches.open(SHARE_CACHE);
  const r = await cache.match(key);
  await cache.delete(key);
  if (!r) {
    fail('the shared item is not an image');
    return;
  }
  const name = decodeURIComponent(r.headers.get('X-File-Name') ?? 'shared image');
  open(new File([await r.blob()], name, { type: r.headers.get('Content-Type') ?? '' }));
}

export function receiveLaunchedFiles(): void {
  if (new URLSearchParams(location.search).has(MARKER)) openShared().catch((e: unknown) => fail(`cannot read the shared image: ${String(e)}`));
  const queue = (window as { launchQueue?: LaunchQueue }).launchQueue;
  queue?.setConsumer((params) => {
    const handle = params.files.find((f) => f.kind === 'file');
    handle
      ?.getFile()
      .then(open)
      .catch((e: unknown) => fail(`cannot read the opened file: ${String(e)}`));
  });
}
