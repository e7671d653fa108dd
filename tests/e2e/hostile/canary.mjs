// The canary: a plain HTTP server on 127.0.0.1, ephemeral port, that counts every TCP
// connection and every request it gets. Hostile messages point every network-capable vector
// at `/<case-id>` and every script-capable one at `/script-<case-id>`: any hit means the
// message view let something out (a request) or ran code (a `/script-…` request).
//
// Connections are counted too: a `https://127.0.0.1:<port>/…` URL reaches the port with a
// TLS handshake that is no HTTP request, but it is still a connection.
import http from 'node:http';

/** Starts the canary; resolves to `{ port, origin, hits, connections(), requests(), close() }`. */
export function startCanary() {
  const hits = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    hits.push({ path: req.url ?? '', method: req.method ?? '', at: Date.now(), ua: req.headers['user-agent'] ?? '' });
    // A 1×1 transparent GIF for images, an empty 200 for the rest: nothing that would
    // make a loader retry.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    if (/\.(gif|png)$|pixel|img/i.test(req.url ?? '')) {
      res.setHeader('Content-Type', 'image/gif');
      res.end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
    } else {
      res.setHeader('Content-Type', 'text/plain');
      res.end('canary');
    }
  });
  server.on('connection', () => {
    connections += 1;
  });
  // A TLS ClientHello or other garbage: answer nothing, it is already counted as a connection.
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        port,
        origin: `http://127.0.0.1:${port}`,
        hits,
        connections: () => connections,
        /** Requests whose path starts with `/script-` (a script ran), and the others. */
        scriptHits: () => hits.filter((h) => h.path.startsWith('/script-')),
        networkHits: () => hits.filter((h) => !h.path.startsWith('/script-')),
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
