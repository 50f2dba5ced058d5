# dockerhub-sync: one small image, non-root (uid 1000), that runs `serve` (migrations are applied at start).
#   docker build -t dockerhub-sync .
#   docker run --env-file deploy/image.env -v dockerhub-sync-data:/data -p 8080:8080 dockerhub-sync
# Behind a TLS-intercepting proxy or with a private registry mirror, hand `npm ci` an .npmrc
# and/or the proxy's CA as build secrets (never stored in a layer; needs BuildKit, the default
# builder of current Docker):
#   docker build --secret id=npmrc,src=$HOME/.npmrc --secret id=npm_ca,src=proxy-ca.pem -t dockerhub-sync .

# The base image, pinned to an exact release: Node 24 (LTS) on Debian slim. glibc, because the
# lock on the embedded database is a prebuilt native addon (fs-native-extensions) built for it.
# To update: take the newest 24.x.y-trixie-slim tag from https://hub.docker.com/_/node (or
# `docker buildx imagetools inspect node:24-trixie-slim`), or pin a digest:
#   ARG NODE_IMAGE=node:24.21.0-trixie-slim@sha256:<digest from imagetools inspect>
ARG NODE_IMAGE=node:24.21.0-trixie-slim

# ---- build: all dependencies, compile TypeScript to dist/, then drop the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here because `prepare` (npm run build) needs the sources, copied next;
# no runtime dependency needs an install script (PGlite is WebAssembly, pg is pure JS, the
# lock addon ships prebuilt). The secrets exist only while this command runs; without them
# npm uses the public registry and the system CAs.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=npm_ca,target=/run/secrets/npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled code, production node_modules, the SQL migrations
FROM ${NODE_IMAGE} AS runtime
# SHUTDOWN_TIMEOUT: `docker stop` sends SIGKILL 10 s after SIGTERM; 7 s for the running page
# leaves 3 s to close the database. For longer pages: -e SHUTDOWN_TIMEOUT=30s --stop-timeout 45.
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data \
    SHUTDOWN_TIMEOUT=7s
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
# DATA_DIR holds the embedded database when DATABASE_URL is unset; the app itself is read-only.
# A volume mounted there must be writable by uid 1000 (`serve` says so at start if it is not).
# `dockerhub-sync` on PATH: `docker run image dockerhub-sync status`, `docker exec c dockerhub-sync sql ...`
# (the base image's entrypoint runs any other first word with node).
RUN mkdir -p /data && chown node:node /data \
 && ln -s /app/bin/dockerhub-sync.js /usr/local/bin/dockerhub-sync
USER node
EXPOSE 8080
VOLUME ["/data"]
# Asks the port `serve` actually listens on (it notes it at start), so `serve --port N` or a
# config file's port stay healthy; no curl or wget in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "bin/dockerhub-sync.js", "healthcheck"]
CMD ["node", "bin/dockerhub-sync.js", "serve"]
