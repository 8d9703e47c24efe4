# syntax=docker/dockerfile:1
# The ingestor image: production dependencies and the service built to JavaScript (`npm run build`),
# as the unprivileged `node` user. Built, not run from .ts: type stripping loads a WebAssembly
# TypeScript parser into each of the service's three threads, about 17 MiB of memory in each
# (docs/benchmarks.md).
FROM node:24.21.0-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24.21.0-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY service/src ./service/src
RUN npm run build

FROM node:24.21.0-slim
# MALLOC_ARENA_MAX: glibc gives each thread that allocates its own 64 MiB arena; the service's
# threads (main, the store's writer, V8's and libuv's workers) kept ~14 MiB of freed memory in
# them at peak (docs/benchmarks.md). Two arenas are enough for one busy thread and its helpers.
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/service/dist ./service/dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches node directly (exec form): it drains requests and flushes telemetry. The flags
# are those of `npm start`. The heap's: V8 sizes its heap from the machine, not from what the service
# needs (docs/benchmarks.md), so they cap it near the live set and keep RSS well under the 256M
# limit. No allocation-site pretenuring: in about one process in four, V8 decided during warm-up to
# allocate some short-lived objects in the old generation, for the process's life, and its GC
# threads then took three times the CPU (docs/benchmarks.md, tenth pass).
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=8", "--no-allocation-site-pretenuring", "--import", "./service/dist/telemetry/sdk.js", "service/dist/main.js"]
