// The light request context (light-context.ts) behaves as the API's contexts do: immutable, later
// values win, deleted keys read undefined, and the API's helpers and propagators work on it.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createContextKey, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { LIGHT_ROOT } from '../src/telemetry/light-context.ts';

const A = createContextKey('a');
const B = createContextKey('b');

it('sets, overrides and deletes values without changing the contexts it came from', () => {
  const one = LIGHT_ROOT.setValue(A, 1);
  const two = one.setValue(B, 2);
  const three = two.setValue(A, 3);
  const gone = three.deleteValue(B);
  assert.equal(LIGHT_ROOT.getValue(A), undefined);
  assert.deepEqual([one.getValue(A), one.getValue(B)], [1, undefined]);
  assert.deepEqual([two.getValue(A), two.getValue(B)], [1, 2]);
  assert.deepEqual([three.getValue(A), three.getValue(B)], [3, 2]);
  assert.deepEqual([gone.getValue(A), gone.getValue(B)], [3, undefined]);
  assert.equal(gone.setValue(B, 4).getValue(B), 4, 'set again after a delete');
});

it('works with the API\'s span helpers and the propagators, as ROOT_CONTEXT does', () => {
  const spanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const span = trace.wrapSpanContext(spanContext);
  const withSpan = trace.setSpan(LIGHT_ROOT, span);
  assert.equal(trace.getSpan(withSpan), span);
  assert.equal(trace.getSpan(trace.deleteSpan(withSpan)), undefined);

  const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  const headers = { traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`, baggage: 'tenant=acme' };
  const getter = { get: (carrier: Record<string, string>, key: string) => carrier[key], keys: (carrier: Record<string, string>) => Object.keys(carrier) };
  const light = propagator.extract(LIGHT_ROOT, headers, getter);
  const plain = propagator.extract(ROOT_CONTEXT, headers, getter);
  assert.deepEqual(trace.getSpanContext(light), trace.getSpanContext(plain));
  assert.equal(propagation.getBaggage(light)?.getEntry('tenant')?.value, 'acme');

  const out: Record<string, string> = {};
  propagator.inject(light, out, { set: (carrier, key, value) => ((carrier as Record<string, string>)[key] = value) });
  assert.deepEqual(out, headers);
});
