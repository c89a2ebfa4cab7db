/** Local HTTP file server for the data-fetch tests, with switches for resume edge cases. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  range?: string;
}

export interface TestServer {
  url: string;
  files: Record<string, Buffer>;
  requests: SeenRequest[];
  /** Next request for this file sends its full headers, then only `bytes` body bytes, then drops the socket. */
  cutOnce?: { file: string; bytes: number };
  /** Answer 200 with the whole file even when a Range is asked (servers without range support). */
  ignoreRange: boolean;
  close(): Promise<void>;
}

export async function startServer(files: Record<string, Buffer>): Promise<TestServer> {
  const state: TestServer = { url: '', files, requests: [], ignoreRange: false, close: async () => {} };
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    state.requests.push({ path, range: req.headers.range });
    if (path.startsWith('/moved/')) {
      res.writeHead(302, { location: path.slice('/moved'.length) }).end();
      return;
    }
    const body = state.files[path.slice(1)];
    if (!body) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && !state.ignoreRange ? Number(m[1]) : 0;
    if (start >= body.length && start > 0) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'content-length': body.length - start, 'accept-ranges': 'bytes' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    const cut = state.cutOnce;
    if (cut && cut.file === path.slice(1)) {
      state.cutOnce = undefined;
      res.write(body.subarray(start, start + cut.bytes), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}
