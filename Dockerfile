# generated from stacks.yaml by `stacks build`, do not edit
# The image of api, ingest, seed.
#   docker build -t shop:local -f Dockerfile .
# Two stages: the dependency layer is rebuilt only when app/requirements.txt changes,
# the code layer on every change; the runtime image keeps no compiler, cache or pip download.

FROM python:3.11-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
COPY app/requirements.txt ./requirements.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-compile -r requirements.txt

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A fixed non-root uid: compose's `user:` and volume ownership rely on it.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
 && mkdir -p /data \
 && chown app:app /data
# Fargate and Cloud Run mount nothing the image does not declare: under a read-only root, every path
# the app writes is a volume (declared after the chown, so a fresh volume belongs to the app user).
VOLUME ["/data", "/tmp"]
COPY --from=deps /opt/venv /opt/venv
WORKDIR /srv
# Code stays owned by root: the app user can read it, never change it.
COPY app/ ./app/
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
