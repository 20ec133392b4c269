# Stand-in for python:3.11-slim: Debian bookworm's Python 3.11 with venv, pip trusting this machine's CA.
ARG BASE
FROM ${BASE}
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates >/dev/null \
    && ln -s /usr/bin/python3 /usr/local/bin/python \
    && rm -rf /var/lib/apt/lists/*
COPY ca-bundle.crt /etc/ssl/certs/host-ca-bundle.crt
RUN printf '[global]\ncert = /etc/ssl/certs/host-ca-bundle.crt\n' > /etc/pip.conf
CMD ["python3"]
