// A client that hangs up (a JSON POST over a raw socket, closed without reading the answer), and
// waiting for the server to notice.
import { connect } from 'node:net';

/**
 * POSTs `{"a":1}` to `path`, waits for `ready` (the handler has the request, say), then closes the
 * connection. With `partial`, the declared length exceeds the body, so the server is still reading
 * it when the client leaves.
 */
export async function postAndHangUp(port: number, path: string, options: { partial?: boolean; ready: () => Promise<unknown> }): Promise<void> {
  const body = '{"a":1}';
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const length = options.partial ? body.length + 10 : body.length;
  socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${body}`);
  await options.ready();
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.destroy();
  await closed;
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until `done` accepts its result or `ms` have passed, and returns the last result:
 * the server may see a hang-up a little later, while a leak stays whatever the wait.
 */
export async function retryUntil<T>(attempt: () => Promise<T>, done: (result: T) => boolean, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  let result = await attempt();
  while (!done(result) && Date.now() < deadline) {
    await pause(50);
    result = await attempt();
  }
  return result;
}
