// What the fault tests' k6 scripts share: the target from BASE_URL, and a setup() that refuses to
// run against an ingestor that is not ready and marks the start for the test reading the output.
import exec from 'k6/execution';
import http from 'k6/http';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:18300').replace(/\/+$/, '');

export function setup(): void {
  const ready = http.get(`${BASE_URL}/readyz`);
  if (ready.status !== 200) exec.test.abort(`the ingestor at ${BASE_URL} is not ready (${ready.status || ready.error})`);
  console.log(`START ${Date.now()}`);
}
