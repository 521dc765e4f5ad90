# The worker and collector image for the deployed stack (docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY streams ./streams
COPY dashboards ./dashboards
COPY bench ./bench
COPY deploy ./deploy
RUN pip install --no-cache-dir -e .
ENV SOMEPULSE_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["somepulse"]
CMD ["worker"]
