// The service with the kit's telemetry set up first, as sdk.ts does before the app is imported,
// exporting to the parts a test gives (in-memory exporters, a pull reader).
import { register } from 'import-in-the-middle/register-hooks.mjs';
import { startTelemetry, type Telemetry, type TelemetryParts } from '../src/telemetry/setup.ts';

// Let the pino instrumentation patch pino: the helpers import the service, which imports pino.
register({ include: ['pino'] });

export interface TelemetryService {
  telemetry: Telemetry;
  helpers: typeof import('./helpers.ts');
  svc: import('./helpers.ts').TestService;
  close(): Promise<void>;
}

export async function startTelemetryService(env: Record<string, string>, parts: TelemetryParts): Promise<TelemetryService> {
  const telemetry = startTelemetry(env, parts);
  const helpers = await import('./helpers.ts');
  const pino = (await import('pino')).default;
  // Logs at info, so the log bridge sees them; stdout stays quiet.
  const svc = await helpers.startTestService({}, pino({ level: 'info' }, pino.destination('/dev/null')));
  return {
    telemetry,
    helpers,
    svc,
    async close() {
      await svc.close();
      await telemetry.shutdown();
    },
  };
}
