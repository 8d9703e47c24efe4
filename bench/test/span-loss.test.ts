import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODES } from '../modes.ts';
import { buildResource } from '../../service/src/telemetry/setup.ts';
import { formatSpanOutcomes, instanceIdFor, spanOutcomes, spanOutcomesQuery, withInstanceId } from '../span-loss.ts';

describe('span outcomes', () => {
  it('gives a mode its own service.instance.id, after any resource attributes it had', () => {
    const mode = { ...MODES[0], env: { OTEL_RESOURCE_ATTRIBUTES: 'a=b' } };
    assert.equal(withInstanceId(mode, 'bench-x').env.OTEL_RESOURCE_ATTRIBUTES, 'a=b,service.instance.id=bench-x');
    assert.equal(withInstanceId(MODES[0], 'bench-y').env.OTEL_RESOURCE_ATTRIBUTES, 'service.instance.id=bench-y');
    assert.equal(MODES[0].env.OTEL_RESOURCE_ATTRIBUTES, undefined, 'the mode itself is left alone');
  });

  it('makes ids the service reads back from OTEL_RESOURCE_ATTRIBUTES as they are, for every mode', () => {
    for (const mode of MODES) {
      const id = instanceIdFor(mode, 2, 1234);
      assert.match(id, /^bench-[A-Za-z0-9-]+-2-1234$/);
      // The SDK's environment detector reads process.env itself.
      const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
      process.env.OTEL_RESOURCE_ATTRIBUTES = withInstanceId(mode, id).env.OTEL_RESOURCE_ATTRIBUTES;
      try {
        assert.equal(buildResource(process.env).attributes['service.instance.id'], id, mode.name);
      } finally {
        if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
        else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
      }
    }
    assert.equal(instanceIdFor(MODES.find((m) => m.name === 'ratio-10%')!, 1, 9), 'bench-ratio-10-1-9');
  });

  it('selects one instance of the catalog series, looking back as far as the bench has run', () => {
    assert.equal(spanOutcomesQuery('bench-1', 1800.2), 'sum by (error_type) (last_over_time(otel_sdk_processor_span_processed_total{instance="bench-1"}[1801s]))');
  });

  it('counts series without error_type as exported, the others as lost by type', () => {
    const o = spanOutcomes([
      { metric: {}, value: [0, '4000'] },
      { metric: { error_type: 'queue_full' }, value: [0, '12'] },
      { metric: { error_type: 'TypeError' }, value: [0, '3'] },
    ]);
    assert.deepEqual(o, { exported: 4000, lost: { queue_full: 12, TypeError: 3 } });
  });

  it('sums runs for the table, with the lost share', () => {
    assert.equal(formatSpanOutcomes([{ exported: 900, lost: { queue_full: 100 } }, { exported: 1000, lost: {} }]), '1900 / 100 (queue_full 100), 5.0% lost');
    assert.equal(formatSpanOutcomes([{ exported: 99990, lost: { queue_full: 10 } }]), '99990 / 10 (queue_full 10), 0.01% lost');
    assert.equal(formatSpanOutcomes([{ exported: 500, lost: {} }]), '500 / 0, 0.0% lost');
    assert.equal(formatSpanOutcomes([{ exported: 0, lost: {} }]), 'no counts found');
  });
});
