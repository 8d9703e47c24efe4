// The harness ceiling: a bare HTTP server that reads each body and answers 201 with a small JSON,
// no framework, no validation, no storage. bench/run.ts measures it like the service, so the
// results show how far the load generator can push on its core.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 18180);
const body = JSON.stringify({ id: 'x', status: 'accepted', fraud: { flagged: false, rules: [] } });

createServer((req, res) => {
  if (req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    return;
  }
  req.resume();
  req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(body));
}).listen(port, '127.0.0.1');
