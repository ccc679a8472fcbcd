# syntax=docker/dockerfile:1
# One image for every Coffer service; the build argument SERVICE picks what it runs:
#   docker build --build-arg SERVICE=ledger -t coffer-ledger .
# SERVICE is one of gateway, ledger, achievements, projector, notifier (docker-compose.yml builds all five).
# Every stage before the final `ARG SERVICE` is the same for all five, so they share the cache.

# ------------------------------------------------------------------------------------ build
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Manifests first: the install layer is rebuilt only when a dependency changes.
# Every workspace's package.json is needed so npm links @coffer/* (a new workspace needs a line here).
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/decider/package.json libs/decider/
COPY libs/event-store/package.json libs/event-store/
COPY libs/platform/package.json libs/platform/
COPY libs/read-models/package.json libs/read-models/
COPY libs/testing/package.json libs/testing/
COPY services/gateway/package.json services/gateway/
COPY services/ledger/package.json services/ledger/
COPY services/achievements/package.json services/achievements/
COPY services/projector/package.json services/projector/
COPY services/notifier/package.json services/notifier/
COPY services/console/package.json services/console/
# Not `npm ci`: it fails against this project's registry lockfiles.
RUN npm install --no-audit --no-fund

COPY tsconfig.base.json tsconfig.build.json ./
COPY libs libs
COPY services services
COPY tools tools
RUN npx tsc -b tsconfig.build.json && node services/console/build.js

# Production files only: runtime dependencies, and per workspace its package.json (so the
# node_modules/@coffer/* symlinks resolve) and its compiled dist/.
RUN npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /prod/tools \
 && cp package.json /prod/ \
 && for workspace in libs/* services/*; do \
      [ -f "$workspace/package.json" ] || continue; \
      mkdir -p "/prod/$workspace" && \
      cp "$workspace/package.json" "/prod/$workspace/" && \
      if [ -d "$workspace/dist" ]; then cp -R "$workspace/dist" "/prod/$workspace/"; fi; \
    done \
 && mkdir -p /prod/libs/contracts/http && cp libs/contracts/http/package.json /prod/libs/contracts/http/ \
 && find /prod -name '*.tsbuildinfo' -delete \
 && cp tools/healthcheck.js /prod/tools/ \
 && for service in gateway ledger achievements projector notifier; do \
      test -f "/prod/services/$service/dist/main.js" || { echo "missing services/$service/dist/main.js" >&2; exit 1; }; \
    done

# ---------------------------------------------------------------------------------- runtime
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /prod/ ./
USER node

# Chosen last so the layers above are shared by the five services.
ARG SERVICE
ENV SERVICE=${SERVICE}
RUN case "$SERVICE" in \
      gateway|ledger|achievements|projector|notifier) ;; \
      *) echo "build with --build-arg SERVICE=gateway|ledger|achievements|projector|notifier (got '$SERVICE')" >&2; exit 1 ;; \
    esac
# Only the gateway listens (on PORT, default 3000); the others talk over NATS.
EXPOSE 3000
# `exec` replaces the shell with node, so SIGTERM from `docker stop` reaches Nest's shutdown hooks.
CMD ["sh", "-c", "exec node services/${SERVICE}/dist/main.js"]
