FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 portal && mkdir -p /data && chown portal /data
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
# Static files are collected at build time and served by whitenoise.
RUN DJANGO_SECRET_KEY=build-only STATIC_MANIFEST=true python manage.py collectstatic --no-input
USER portal
EXPOSE 8000
# Behind a proxy that buffers requests (docker-compose.yml's proxy, deploy/nginx.conf.template).
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "portal.wsgi:application"]
