# Stand-in for the official rabbitmq management image: Debian bookworm's RabbitMQ, honouring
# RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS, /etc/rabbitmq/conf.d/ and /var/lib/rabbitmq.
ARG BASE
FROM ${BASE}
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null \
    && install -d -o rabbitmq -g rabbitmq /etc/rabbitmq/conf.d \
    && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV HOME=/var/lib/rabbitmq RABBITMQ_LOGS=- PATH=/usr/lib/rabbitmq/bin:$PATH
USER rabbitmq
EXPOSE 5672 15672
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
