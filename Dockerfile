# syntax=docker/dockerfile:1.7
# Mira container image: install -> build -> runtime (production dependencies only).
# Build: docker build -t mira .      Run: docker run --rm --init -p 3000:3000 --read-only --tmpfs /tmp -v mira-data:/app/data mira
# NODE_VERSION follows the `node` devDependency in package.json (the deploy tests check the major);
# for reproducible releases pin the digest too: node:24.9.0-bookworm-slim@sha256:<digest>.
ARG NODE_VERSION=24.9.0

# ---- install: every dependency (the build needs the dev tools) ----------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS install
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the base image already is Node 24, so the `node` devDependency's binary
# download (the only install script the project approves) is not needed here.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund

# ---- build: TypeScript -> dist/ ------------------------------------------------------------------
FROM install AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps/mira/src apps/mira/src
COPY apps/mira-cli/src apps/mira-cli/src
COPY libs libs
# The nest CLI directly rather than `npm run build`: npm would put node_modules/.bin first on PATH,
# where the `node` devDependency installed without its script has no working binary.
COPY scripts/build-inbox.js scripts/build-inbox.js
RUN node node_modules/@nestjs/cli/bin/nest.js build mira && node scripts/build-inbox.js

# ---- runtime: production dependencies only, non-root, read-only friendly -------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# OCI image labels from build args, e.g.
#   docker build --build-arg VERSION=0.2.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg SOURCE=https://github.com/<org>/mira -t mira .
ARG VERSION=0.2.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/example/mira
LABEL org.opencontainers.image.title="mira" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; npm, npx, corepack and yarn are removed afterwards because nothing
# runs them at run time (smaller image, less to patch).
# The CycloneDX SBOM of exactly this production install (the same command as scripts/sbom.js in
# CI), written before npm is removed: /app/sbom/mira.cdx.json.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /app/sbom && npm sbom --sbom-format cyclonedx --omit dev > /app/sbom/mira.cdx.json \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=build /src/dist ./dist
COPY LICENSE NOTICE ./
# `mira` (the CLI) on PATH inside the container: docker exec <c> mira health
RUN chmod 755 dist/apps/mira-cli/src/main.js && ln -s /app/dist/apps/mira-cli/src/main.js /usr/local/bin/mira
# The bundled example config is the default (config/mira.yaml relative to WORKDIR); deployments
# mount their own directory and point MIRA_CONFIG_FILE at it.
COPY config/mira.yaml ./config/mira.yaml
COPY scripts/healthcheck.js ./scripts/healthcheck.js
# The embedded sqlite state store writes state.sqlite.path (default data/mira.db, relative to
# WORKDIR): /app/data is the one directory the service user owns. A volume, so it stays writable
# (and survives the container) under --read-only; mount a volume/PVC there to keep it.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
VOLUME ["/app/data"]
# Everything else is root-owned and read-only to the service user. Numeric ids so Kubernetes'
# runAsNonRoot can verify them (1000 is the base image's `node` user). Besides /app/data the
# service writes only to stdout and /tmp, so it runs with a read-only root filesystem and a
# tmpfs/emptyDir on /tmp.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "/app/scripts/healthcheck.js", "/healthz/live"]
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and gets SIGTERM directly; the app registers its own SIGTERM/SIGINT
# handlers (ordered graceful shutdown), so the PID-1 default-ignore rule does not apply. Add
# `--init` (docker run) / `init: true` (compose) for zombie reaping if child processes are ever spawned.
CMD ["node", "dist/apps/mira/src/main.js"]
