# Coachworks application image: web (gunicorn), Celery worker and Celery beat share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 coachworks

WORKDIR /app
COPY pyproject.toml package*.json* ./
COPY . .
RUN pip install --no-cache-dir -e . \
    && if [ -f package.json ]; then (npm ci --omit=dev || npm install --omit=dev); fi \
    && python manage.py compile_translations --skip-checks \
    && python manage.py collectstatic --no-input -v 0 --skip-checks \
    && chown -R coachworks /app

USER coachworks
EXPOSE 8000
# The system checks first: with DEBUG off they refuse the development SECRET_KEY and the example bank
# account (core.checks), which gunicorn alone would never look at. Build steps skip them: the image has
# no secrets; the container gets them from its environment.
CMD ["sh", "-c", "python manage.py check && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers 3 --timeout 60 --access-logfile -"]
