# Production image: `motcua serve` as a non-root user. Run `motcua db upgrade` once per release
# (for example as a one-off container with the same image) before starting new web processes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOTCUA_ENVIRONMENT=production

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app motcua \
    && mkdir -p /app/var && chown motcua /app/var

USER motcua
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["motcua", "serve", "--host", "0.0.0.0", "--port", "8000"]
