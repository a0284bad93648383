# The knowledge service. Build from the repository root:
#   docker build -f docker/kb_service.Dockerfile -t kestrel-kb .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /app
COPY requirements/svc.txt requirements/svc.txt
# torch==2.13.0 must be the CPU build; PyTorch's CPU wheel index provides it outside this project's dev machines.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/svc.txt
COPY sqlkit sqlkit
COPY kb_service kb_service
COPY knowledge knowledge
ENV KB_HOST=0.0.0.0 KB_PORT=8100 KB_KNOWLEDGE_DIR=/app/knowledge KB_DATA_DIR=/data/kb
VOLUME ["/data"]
EXPOSE 8100
HEALTHCHECK --interval=10s --timeout=3s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8100/readyz', timeout=2).status == 200 else 1)"
CMD ["python", "-m", "kb_service"]
