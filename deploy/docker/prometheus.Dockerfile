# Prometheus from Debian 12's package (the same 2.42 as prom/prometheus:v2.42.0), for machines that
# cannot pull the official image (deploy/compose/host-network.yml). Same layout as the official one:
# configuration in /etc/prometheus, data in /prometheus, arguments after the entrypoint.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o prometheus -g prometheus -m 0750 /prometheus
WORKDIR /prometheus
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
