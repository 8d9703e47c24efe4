// Lets main.ts flush and stop the telemetry SDK at shutdown without importing sdk.ts (which
// starts the SDK as a side effect and is loaded with `node --import` before the app).
type Shutdown = () => Promise<void>;

let registered: Shutdown | undefined;

export function onTelemetryShutdown(shutdown: Shutdown): void {
  registered = shutdown;
}

/** Flushes and stops the SDK, giving up after `timeoutMs`; returns false if it timed out or failed. */
export async function shutdownTelemetry(timeoutMs: number): Promise<boolean> {
  if (!registered) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([registered().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
