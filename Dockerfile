# One image for every process of the course exchange (web, relay, consumer, migrations).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/var/lib/course-exchange

WORKDIR /app
COPY pyproject.toml README.md ./
COPY services ./services
COPY shared ./shared
COPY catalogue ./catalogue
COPY enrolment ./enrolment
COPY notifications ./notifications
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app exchange \
    && mkdir -p "$DATA_DIR" && chown exchange "$DATA_DIR"

USER exchange
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('PORT', '8000'), timeout=2)"
CMD ["python", "-m", "services", "--help"]
