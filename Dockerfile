# permgate: multi-stage build. Not built in this repository's CI (no Docker engine there);
# kept minimal so it stays correct by reading.

# --- build: compile TypeScript with the dev dependencies ---------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bench ./bench
COPY test ./test
COPY policies ./policies
RUN npm ci --no-audit --no-fund

# --- runtime: production dependencies and the compiled output only -----------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare step compiles TypeScript, which the build stage already did
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY policies ./policies
# the demo upstream's Houston 0.3x schema (read from the package root, as tsc does not copy it)
COPY src/demo/upstream/houston-0.3x/schema.graphql ./src/demo/upstream/houston-0.3x/schema.graphql
# the image's built-in unprivileged user
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js", "serve"]
# Mount a config (policy, bindings, upstream, keys) at /etc/permgate; flags after the image name override it.
CMD ["--config", "/etc/permgate/permgate.yaml", "--host", "0.0.0.0", "--port", "8080"]
