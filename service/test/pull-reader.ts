// A metric reader the tests collect from on demand (the SDK's MetricReader, no export schedule).
import { MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';

export class PullReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}
