FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY contacts contacts
COPY alerts alerts
COPY reunify reunify
COPY privacy privacy
COPY benchmarks benchmarks
COPY manage.py ./
RUN pip install --no-cache-dir . && useradd --system reunify && mkdir -p /app/var && chown reunify /app/var
USER reunify
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", "--logger-class", "privacy.logredact.GunicornLogger", "--access-logformat", "%(h)s %(t)s \"%(r)s\" %(s)s %(b)s %(M)sms"]
