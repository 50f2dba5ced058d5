# syntax=docker/dockerfile:1
# dockerhub-sync: one small image, non-root, that runs `serve` (migrations are applied at start).
#   docker build -t dockerhub-sync .
#   docker run --env-file .env -p 8080:8080 dockerhub-sync
ARG NODE_IMAGE=node:24-alpine

# ---- build: all dependencies, compile TypeScript to dist/, then drop the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here because `prepare` (npm run build) needs the sources, copied next;
# no runtime dependency needs an install script (PGlite is WebAssembly, pg is pure JS).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled code, production node_modules, the SQL migrations
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
# DATA_DIR holds the embedded database when DATABASE_URL is unset; the app itself is read-only.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
# Node's own fetch: no curl or wget in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/dockerhub-sync.js", "serve"]
