# The engine as a container image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY engine ./engine
RUN pip install --no-cache-dir '.[postgres,redis]'
COPY cabinet_schemas ./cabinet_schemas
COPY themes ./themes
COPY locales ./locales
RUN python -c "from engine.web.i18n import compile_catalogs; compile_catalogs()"
ENV CABINET_INSTANCE_DIR=/var/lib/cabinet
EXPOSE 8000
CMD ["cabinet", "serve", "--host", "0.0.0.0", "--port", "8000"]
