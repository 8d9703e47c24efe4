// Lets main.ts flush and stop the telemetry SDK at shutdown without importing sdk.ts (which
// starts the SDK as a side effect and is loaded with `node --import` before the app).
type Shutdown = () => Promise<void>;

let registered: Shutdown | undefined;

export function onTelemetryShutdown(shutdown: Shutdown): void {
  registered = shutdown;
}

/** Waits for `work` at most `timeoutMs`: true if it settled without failing in time, false otherwise. */
export async function settledWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([work.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Flushes and stops the SDK, giving up after `timeoutMs`; returns false if it timed out or failed. */
export async function shutdownTelemetry(timeoutMs: number): Promise<boolean> {
  if (!registered) return true;
  return settledWithin(registered(), timeoutMs);
}
