// A context that holds one value and points at its parent, for the context each request starts.
// The API's own contexts copy their parent's whole Map on every setValue and give each instance
// three closures of its own: `trace.setSpan` on ROOT_CONTEXT cost 0.27 µs and about six objects a
// request (docs/benchmarks.md, thirteenth pass). Here a setValue is one small object; a lookup
// walks the chain: a request's own context is two or three links (its span, perhaps baggage), and
// each span started inside it adds one. A value set again or deleted stays reachable from the
// chain, where the API's copy drops it: the chain lives as long as the request's context.
import type { Context } from '@opentelemetry/api';

class LightContext implements Context {
  private readonly parent: LightContext | undefined;
  private readonly key: symbol | undefined;
  private readonly value: unknown;

  constructor(parent: LightContext | undefined, key: symbol | undefined, value: unknown) {
    this.parent = parent;
    this.key = key;
    this.value = value;
  }

  getValue(key: symbol): unknown {
    for (let context: LightContext | undefined = this; context !== undefined; context = context.parent) {
      if (context.key === key) return context.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LightContext(this, key, value);
  }

  /** A deleted key is one set to undefined: lookups stop there, as after Map's delete. */
  deleteValue(key: symbol): Context {
    return new LightContext(this, key, undefined);
  }
}

/** An empty context, to use where the API's ROOT_CONTEXT would be the parent of a request's. */
export const LIGHT_ROOT: Context = new LightContext(undefined, undefined, undefined);
