import { extname } from 'node:path';

/**
 * The module `name` beside the module at `base` (its `import.meta.url`), with the same extension:
 * `.ts` when the service runs from source, `.js` when it runs built (`npm run build`). A worker
 * thread's entry is named by URL, which the build's import rewriting does not touch.
 */
export function siblingModule(name: string, base: string): URL {
  return new URL(`./${name}${extname(new URL(base).pathname)}`, base);
}
