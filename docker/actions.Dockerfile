# The action server on the official Rasa SDK image, plus the two libraries our actions use.
#   docker build -f docker/actions.Dockerfile -t kestrel-actions .
FROM rasa/rasa-sdk:3.6.2
USER root
COPY requirements/rasa.txt /tmp/rasa.txt
RUN grep -iE '^(httpx|httpcore|h11|anyio|sniffio|idna|certifi|pydantic)==' /tmp/rasa.txt > /tmp/actions.txt \
    && pip install --no-cache-dir -r /tmp/actions.txt
WORKDIR /app
COPY actions /app/actions
COPY sqlkit /app/sqlkit
RUN mkdir -p /data && chown 1001 /data
USER 1001
ENV ACTIONS_HOST=0.0.0.0 ACTIONS_PORT=5055 ACTIONS_OUTBOX_PATH=/data/outbox.sqlite3
EXPOSE 5055
ENTRYPOINT []
CMD ["python", "-m", "actions"]
