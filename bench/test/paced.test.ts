// The open-loop generator and its raw HTTP client, against a real node:http server: answers with
// Content-Length and chunked bodies, a server that closes connections, and the schedule.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { pacedLoad, type Answer } from '../paced.ts';
import { parseResponse, RawConnection, requestHead } from '../raw-http.ts';

let server: Server;
let port: number;
let bodiesSeen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodiesSeen.push(body);
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('hello, ');
        setImmediate(() => res.end('world'));
      } else if (req.url === '/close') {
        res.writeHead(503, { 'retry-after': '1', connection: 'close', 'content-length': '4' }).end('busy');
      } else {
        const answer = JSON.stringify({ echo: body });
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

it('parses a Content-Length answer and keeps the connection for the next request', async () => {
  const connection = new RawConnection('127.0.0.1', port);
  await connection.ready;
  for (const payload of ['{"a":1}', '{"b":"ünïcode"}']) {
    const answer = await connection.send(requestHead('POST', `127.0.0.1:${port}`, '/echo', payload), payload, 5000);
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(answer.body), { echo: payload });
  }
  assert.ok(connection.usable);
  connection.destroy();
});

it('parses a chunked answer', async () => {
  const connection = new RawConnection('127.0.0.1', port);
  await connection.ready;
  const answer = await connection.send(requestHead('GET', `127.0.0.1:${port}`, '/chunked', ''), '', 5000);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'hello, world');
  connection.destroy();
});

it('returns null until a response is complete', () => {
  const full = Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello');
  for (let cut = 0; cut < full.length; cut++) assert.equal(parseResponse(full.subarray(0, cut)), null, `cut at ${cut}`);
  assert.deepEqual(parseResponse(full)?.answer.body, 'hello');
  assert.equal(parseResponse(full)?.consumed, full.length);
});

it('gives the answer of a server that closes, and marks the connection unusable', async () => {
  const connection = new RawConnection('127.0.0.1', port);
  await connection.ready;
  const answer = await connection.send(requestHead('GET', `127.0.0.1:${port}`, '/close', ''), '', 5000);
  assert.equal(answer.status, 503);
  assert.equal(answer.headers['retry-after'], '1');
  assert.equal(connection.usable, false);
});

it('sends rate × seconds requests on schedule, each answered, over reused connections', async () => {
  bodiesSeen = [];
  const answers: Answer[] = [];
  let n = 0;
  const result = await pacedLoad(
    { url: `http://127.0.0.1:${port}`, path: '/echo', body: () => JSON.stringify({ n: n++ }), rate: 200, seconds: 1, connections: 8 },
    (answer) => answers.push(answer),
  );
  assert.equal(result.sent, 200);
  assert.equal(result.errors, 0);
  assert.equal(answers.length, 200);
  assert.ok(answers.every((a) => a.status === 201));
  // Every body arrived once (the /healthz openers carry none).
  assert.deepEqual(bodiesSeen.filter(Boolean).map((b) => JSON.parse(b).n).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  // Evenly spaced: the last request was due about a second after the first.
  const due = answers.map((a) => a.dueMs).sort((a, b) => a - b);
  assert.ok(due[199] - due[0] > 900 && due[199] - due[0] < 1100, `due times span ${due[199] - due[0]} ms`);
});

it('sends the warm-up first, at the same rate over the same connections, and reports only what follows', async () => {
  bodiesSeen = [];
  const answers: Answer[] = [];
  let n = 0;
  let connections = 0;
  const count = () => connections++;
  server.on('connection', count);
  const result = await pacedLoad(
    { url: `http://127.0.0.1:${port}`, path: '/echo', body: () => JSON.stringify({ n: n++ }), rate: 200, seconds: 0.5, warmupSeconds: 0.5, connections: 8 },
    (answer) => answers.push(answer),
  ).finally(() => server.off('connection', count));
  assert.ok(connections <= 8, `${connections} connections: the warm-up's, kept for the measured requests`);
  // 100 warm-up requests reached the server, unreported; the 100 measured ones came after them.
  assert.deepEqual(bodiesSeen.filter(Boolean).map((b) => JSON.parse(b).n).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  assert.equal(result.sent, 100);
  assert.equal(answers.length, 100);
  assert.deepEqual(answers.map((a) => JSON.parse(a.body).echo).map((b) => JSON.parse(b).n).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => 100 + i));
  // Due times count from the end of the warm-up, and the measured half second lasted about that.
  const due = answers.map((a) => a.dueMs).sort((a, b) => a - b);
  assert.ok(due[0] >= 0 && due[0] < 20, `first measured request due at ${due[0]} ms`);
  assert.ok(due[99] > 450 && due[99] < 550, `last measured request due at ${due[99]} ms`);
  assert.ok(result.seconds > 0.45 && result.seconds < 0.7, `measured ${result.seconds} s`);
});

it('keeps going when the server closes connections: new ones are opened', async () => {
  const answers: Answer[] = [];
  const result = await pacedLoad(
    { url: `http://127.0.0.1:${port}`, method: 'GET', path: '/close', body: () => '', rate: 100, seconds: 0.5, connections: 4 },
    (answer) => answers.push(answer),
  );
  assert.equal(result.errors, 0, JSON.stringify(result.errorMessages));
  assert.equal(answers.length, 50);
  assert.ok(answers.every((a) => a.status === 503));
});

it('refuses a warm-up that is not a number of seconds >= 0', async () => {
  for (const warmupSeconds of [NaN, -1]) {
    await assert.rejects(pacedLoad({ url: `http://127.0.0.1:${port}`, path: '/echo', body: () => '{}', rate: 10, seconds: 0.1, warmupSeconds, connections: 1 }, () => {}), /warmupSeconds/);
  }
});

it('counts every request as an error, and finishes, when nothing listens', async () => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as AddressInfo).port;
  probe.close();
  await once(probe, 'close');
  const answers: Answer[] = [];
  const result = await pacedLoad(
    { url: `http://127.0.0.1:${deadPort}`, path: '/echo', body: () => '{}', rate: 100, seconds: 0.3, connections: 4 },
    (answer) => answers.push(answer),
  );
  assert.equal(answers.length, 0);
  assert.equal(result.sent, 30);
  assert.equal(result.errors, 30, JSON.stringify(result.errorMessages));
  assert.ok(result.errorMessages.ECONNREFUSED > 0, JSON.stringify(result.errorMessages));
});
