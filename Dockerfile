# syntax=docker/dockerfile:1
# tracksink image: `docker compose -f docker/compose.yaml up -d` (see docker/README.md).
#
# The build stage runs the README's install steps (`npm install && npm start`, whose prestart builds the
# server and the dashboard): `npm ci` (npm install, exactly as locked) then `npm run build`. Every stage
# uses the same Node.js image, so better-sqlite3's native addon is built for the Node.js that runs it.

# ---- build: dev dependencies, compile the server (dist/) and the dashboard (web/dist/)
FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary matches: it needs python3, make and g++.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build

# ---- deps: production dependencies only, native addons built here with the same toolchain
FROM node:24-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force

# ---- runtime: no compilers, no dev dependencies, non-root
FROM node:24-bookworm-slim AS runtime
# Port 53 is privileged: give the node binary the one capability it needs so the unprivileged `node` user
# can bind it (the alternative, sysctl net.ipv4.ip_unprivileged_port_start=53, is per network namespace
# and cannot be set with host networking). libcap2-bin is only needed for setcap and is removed again.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/node)" \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /config \
 && chown node:node /data /config
WORKDIR /app
# MALLOC_ARENA_MAX=2: glibc keeps at most two malloc arenas instead of up to eight per core for the
# DNS, log writer and list parser threads; ~10 MB less resident memory (bench/GAP.md, "Where the memory goes").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    TRACKSINK_DATA_DIR=/data \
    TRACKSINK_HTTP_PORT=8080
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/blocklists ./blocklists
COPY --from=build /app/config ./config
# Migrations are read from the source tree at run time (tsc does not copy .sql files).
COPY --from=build /app/server/store/migrations ./server/store/migrations
# config/tracksink.yaml is where tracksink looks for its settings: point it into the /config volume, so
# an optional /config/tracksink.yaml is used when present and the built-in defaults otherwise.
RUN ln -s /config/tracksink.yaml /app/config/tracksink.yaml
USER node
VOLUME ["/data", "/config"]
EXPOSE 53/udp 53/tcp 8080 853/tcp 8443/tcp
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TRACKSINK_HTTP_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# The same command as `npm start` without npm in between, so SIGTERM reaches tracksink directly (its
# MALLOC_ARENA_MAX=2 is the ENV above). --max-semi-space-size=4: V8's young generation at two 4 MB
# semi-spaces instead of up to two 16 MB ones, which a busy minute filled and kept (bench/GAP.md, "memory pass").
CMD ["node", "--max-semi-space-size=4", "dist/server/main.js"]
