# The support desk (widget gateway, handoff queue, agent console). Build from the repository root:
#   docker build -f docker/desk.Dockerfile -t kestrel-desk .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements/desk.txt requirements/desk.txt
RUN pip install -r requirements/desk.txt
COPY desk desk
COPY sqlkit sqlkit
ENV DESK_HOST=0.0.0.0 DESK_PORT=8000 DESK_DATABASE_PATH=/data/desk.sqlite3
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
CMD ["python", "-m", "desk"]
