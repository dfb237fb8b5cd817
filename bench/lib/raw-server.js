// Baseline: a bare node:http server answering with the same JSON the app would send.
// Usage: node raw-server.js <kind> where kind is "plan" (POST body echo of a generated plan) or "health".
const http = require('node:http');

const kind = process.argv[2] ?? 'health';
const port = Number(process.env.PORT);
const payload = JSON.parse(process.env.RAW_PAYLOAD ?? '{}');

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (kind === 'plan' && req.method === 'POST') JSON.parse(Buffer.concat(chunks).toString() || '{}');
      const body = JSON.stringify({ ...payload, timestamp: new Date().toISOString() });
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  })
  .listen(port, '127.0.0.1');
