# The worker and collector image for the deployed stack (docker-compose.yml).
# Dependencies come from the lock file, each artifact checked against its SHA-256; the
# project is installed without resolving anything again, non-editable, and runs as an
# unprivileged user (compose runs it as the operator's uid, see deploy/make-secrets.sh).
FROM python:3.11.14-slim-bookworm
WORKDIR /app
COPY requirements/worker.lock ./requirements/worker.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/worker.lock
COPY pyproject.toml README.md ./
COPY somepulse ./somepulse
RUN pip install --no-cache-dir --no-deps . && rm -rf /app/somepulse \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin somepulse \
    && mkdir -p /data && chmod 1777 /data
ENV SOMEPULSE_DATA_DIR=/data
VOLUME /data
USER 10001
ENTRYPOINT ["somepulse"]
CMD ["worker"]
