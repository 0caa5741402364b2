FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SALONBOT_VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# var/beat: the beat service's volume is mounted there and starts with this ownership.
RUN DEBUG=1 python manage.py collectstatic --noinput >/dev/null \
 && useradd --create-home salonbot && mkdir -p /app/var/beat && chown -R salonbot /app/var
USER salonbot
EXPOSE 8000
CMD ["gunicorn", "salonbot.wsgi", "-c", "python:salonbot.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "8"]
