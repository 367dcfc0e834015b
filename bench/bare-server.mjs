// The baseline: a bare Node HTTP server that reads a JSON body and answers, doing no other work.
import http from 'node:http';

const status = Number(process.env.BARE_STATUS ?? 201);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    const out = JSON.stringify({ id: 'x', received: Object.keys(body).length });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING http://127.0.0.1:${server.address().port}`));
