# The worker and collector image for the deployed stack (docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY somepulse ./somepulse
RUN pip install --no-cache-dir . && rm -rf /app/somepulse
ENV SOMEPULSE_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["somepulse"]
CMD ["worker"]
