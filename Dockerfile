# Keel API image.
#
#   docker build -t keel-api .
#   docker run --rm -p 3000:3000 -e JWT_SECRET="$(openssl rand -base64 48)" keel-api
#   docker exec <container> npx keel migrate status      # the CLI, beside the running API
#
# Without DATABASE_URL the container runs the embedded profile (a Postgres server,
# started by Keel as the user `node`, with its data in /app/data; one replica only); set DATABASE_URL, REDIS_URL and RABBITMQ_URL for the full profile
# (see docker-compose.yml). NODE_ENV=production: JWT_SECRET (32+ chars) is required.
#
# Debian (glibc) on purpose: argon2 ships prebuilt glibc binaries; no alpine/musl.
# Pinned to bookworm: the plain `node:24-slim` tag follows Debian's newest release.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: all dependencies, compile, then drop devDependencies ------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false

# Dependencies first, so this layer is reused while only sources change.
# Install scripts run (argon2 selects its prebuilt binary in its install script).
# The `keel` CLI is an npm workspace: npm ci links its bin as node_modules/.bin/keel.
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/package.json
COPY apps/cli/bin apps/cli/bin
RUN npm ci

# Sources (filtered by .dockerignore), build to dist/, keep production dependencies only.
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force

# ---- runtime: production node_modules + dist + package.json, as user `node` --------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app

# Application files stay owned by root (read-only for the app user);
# only the data directory is writable by `node`.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `npx keel ...` (or `node dist/apps/cli/src/main.js ...`): the bin and what it runs through.
COPY --from=build /app/apps/cli/package.json ./apps/cli/package.json
COPY --from=build /app/apps/cli/bin ./apps/cli/bin
COPY --from=build /app/scripts/node24.sh /app/scripts/build-if-needed.sh ./scripts/
RUN mkdir -p /app/data && chown node:node /app/data

USER node
# Embedded profile's Postgres data (and, outside production, a generated JWT secret).
VOLUME ["/app/data"]
EXPOSE 3000 9464

# Liveness of the process only (no curl in slim images: node's fetch does it).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself. Keel installs its own
# SIGTERM/SIGINT handlers (fail readiness, drain, close pools, exit 0), so no tini
# is needed; `docker run --init` / compose `init: true` remain harmless if wanted.
STOPSIGNAL SIGTERM
# --max-semi-space-size=16 (MB): V8's young generation sized for a 200 MB process, not for the
# machine's memory (bench/README.md, "Memory"). The same flag as `npm start`.
CMD ["node", "--max-semi-space-size=16", "dist/apps/api/src/main.js"]
