// A transparent HTTP proxy for the conformance run: the suite has no option to send an API key,
// so this adds `X-API-Key` to every request and passes everything else through unchanged.
// `Host` and `Origin` naming the proxy itself are rewritten to name the daemon (what a client
// talking to the daemon directly would send); any other value (the DNS-rebinding scenario's
// `evil.example.com`) reaches the daemon as sent.
//
// Usage: node key-proxy.mjs <daemon-url> <port-file>   (API key in PACER_API_KEY)
// Listens on 127.0.0.1 on a free port and writes that port to <port-file>.
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const [target, portFile] = process.argv.slice(2);
const key = process.env.PACER_API_KEY;
if (!target || !portFile || !key) {
  console.error('usage: PACER_API_KEY=... node key-proxy.mjs <daemon-url> <port-file>');
  process.exit(2);
}
const daemon = new URL(target);

const server = http.createServer((req, res) => {
  const own = `127.0.0.1:${server.address().port}`;
  const headers = { ...req.headers, 'x-api-key': key };
  if (headers.host === own) headers.host = daemon.host;
  if (headers.origin === `http://${own}`) headers.origin = daemon.origin;
  const upstream = http.request(
    { host: daemon.hostname, port: daemon.port, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    }
  );
  upstream.on('error', (e) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy: ${e.message}`);
  });
  req.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)));
