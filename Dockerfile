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
COPY web ./web
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app exchange \
    && mkdir -p "$DATA_DIR" && chown exchange "$DATA_DIR"

USER 10001
EXPOSE 8000
# For the web containers; docker-compose.yml turns it off for relays, consumers and the mailer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)"]
CMD ["python", "-m", "services", "--help"]
