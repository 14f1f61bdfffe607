# 知財支援ナビ — container image.
#   docker build -t chizai-navi .
#   docker run --rm -p 8000:8000 chizai-navi

# ---------------------------------------------------------------- builder
FROM python:3.11-slim AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1

WORKDIR /src

# Dependencies first (cached until pyproject.toml changes).
COPY pyproject.toml ./
COPY scripts/pyproject_deps.py /tmp/pyproject_deps.py
RUN python /tmp/pyproject_deps.py pyproject.toml > /tmp/requirements.txt \
 && python /tmp/pyproject_deps.py pyproject.toml --extra dev > /tmp/requirements-dev.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt \
 && python -m venv /opt/lint \
 && /opt/lint/bin/pip install -r /tmp/requirements.txt -r /tmp/requirements-dev.txt

COPY . .

# The same lint commands as CI; the dev extras live only in /opt/lint, which is not copied on.
RUN /opt/lint/bin/ruff check . \
 && /opt/lint/bin/mypy app eligibility matching programs

# The project itself into the runtime venv (no dev extras), then drop build leftovers.
RUN /opt/venv/bin/pip install --no-deps . \
 && rm -rf build *.egg-info .mypy_cache .ruff_cache \
 && find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---------------------------------------------------------------- runtime
FROM python:3.11-slim AS runtime

# Production by default: no demo accounts, no /docs; override only for a local trial.
ENV NAVI_ENVIRONMENT=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# WeasyPrint (summary PDF) needs Pango; the PDF embeds Noto Sans CJK for Japanese.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app \
 && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Owned by app so the service can create its SQLite database next to the source.
COPY --from=builder --chown=app:app /src /app

USER app

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
