# One image for every process of the course exchange (web, relay, consumer, mailer, migrations).
# PYTHON_IMAGE: the official Python image by default; CI builds on a stand-in made from Debian's
# packages (deploy/stand-ins/), since it reaches no image registry.
ARG PYTHON_IMAGE=python:3.11-slim

# Stage 1: a virtual environment with the dependencies (a layer of its own, rebuilt only when
# pyproject.toml changes), then the project itself.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python3 -m venv /opt/venv
COPY pyproject.toml README.md ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && /opt/venv/bin/pip install --quiet -r requirements.txt
COPY services ./services
COPY shared ./shared
COPY catalogue ./catalogue
COPY enrolment ./enrolment
COPY notifications ./notifications
COPY web ./web
# pip and setuptools leave with the build: nothing installs at run time.
RUN /opt/venv/bin/pip install --quiet --no-deps . \
    && /opt/venv/bin/pip uninstall --quiet --yes pip setuptools \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib

# Stage 2: the base image and that environment; no sources, build files or caches.
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/var/lib/course-exchange
COPY --from=build /opt/venv /opt/venv
RUN useradd --uid 10001 --no-create-home --home-dir /nonexistent exchange \
    && mkdir -p "$DATA_DIR" && chown exchange "$DATA_DIR"
WORKDIR /tmp
USER 10001
EXPOSE 8000
# The web processes answer on 8000; relays, consumers and the mailer answer on METRICS_PORT when set.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-m", "services.healthcheck"]
CMD ["python", "-m", "services", "--help"]
