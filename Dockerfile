# The engine as a container image (used by docker-compose.yml for the engine and its provision
# step).

# The Node parts: the Directus extension bundle (which `cabinet directus provision` copies into
# Directus) and the preview's scripts (which the engine serves on preview pages).
FROM node:22-bookworm-slim AS node-parts
WORKDIR /src
COPY directus_extensions/cabinet-engine/package.json directus_extensions/cabinet-engine/package-lock.json \
     directus_extensions/cabinet-engine/
RUN cd directus_extensions/cabinet-engine && npm ci --no-audit --no-fund --loglevel=error
COPY directus_extensions/cabinet-engine directus_extensions/cabinet-engine
RUN cd directus_extensions/cabinet-engine && npm run build \
    && test -s dist/api.js && test -s dist/app.js
COPY scripts/build-preview.sh scripts/node-env.sh scripts/
COPY preview preview
RUN NODE_HOME=/usr/local bash scripts/build-preview.sh

FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY engine ./engine
# Editable, so the package stays in /app: the engine finds its themes, locales, demo schemas,
# preview scripts and Directus files beside itself (a copy in site-packages would not).
RUN pip install --no-cache-dir -e '.[postgres,redis]'
COPY cabinet_schemas ./cabinet_schemas
COPY themes ./themes
COPY locales ./locales
COPY directus_extensions/snapshot.json ./directus_extensions/
COPY directus_extensions/cabinet-engine/package.json ./directus_extensions/cabinet-engine/
COPY --from=node-parts /src/directus_extensions/cabinet-engine/dist ./directus_extensions/cabinet-engine/dist
COPY --from=node-parts /src/preview/dist ./preview/dist
RUN python -c "from engine.web.i18n import compile_catalogs; compile_catalogs()"
ENV CABINET_INSTANCE_DIR=/var/lib/cabinet
EXPOSE 8000
CMD ["cabinet", "serve", "--host", "0.0.0.0", "--port", "8000"]
