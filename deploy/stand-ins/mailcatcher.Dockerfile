# Stand-in for Mailpit: an SMTP server on 1025 that keeps every message, and the part of Mailpit's
# HTTP API on 8025 that the tests read (GET /api/v1/messages, GET /api/v1/message/ID).
ARG BASE
FROM ${BASE}
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3 python3-aiosmtpd >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY mailcatcher.py /usr/local/bin/mailcatcher.py
USER nobody
EXPOSE 1025 8025
CMD ["python3", "/usr/local/bin/mailcatcher.py"]
