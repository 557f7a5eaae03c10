# Candela, CPU image. Build: docker build --build-arg CANDELA_COMMIT=$(git rev-parse HEAD) -t candela .
# Roles: `docker run candela` (all-in-one, embedded), or `serve` / `worker` with REDIS_URL (see compose.yaml).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm install --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY routes ./routes
COPY graphql ./graphql
COPY jobs ./jobs
COPY models ./models
COPY artifacts ./artifacts
COPY openapi ./openapi

FROM node:20-bookworm-slim
ARG CANDELA_COMMIT=unknown
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data MODELS_DIR=/app/artifacts CANDELA_COMMIT=${CANDELA_COMMIT}
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/candela.js"]
CMD ["all"]
