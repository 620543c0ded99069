# One image for every Navarch service; the command picks the service.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir . && useradd --uid 10001 navarch
USER 10001
ENV NAVARCH_HOME=/var/lib/navarch NAVARCH_HTTP_HOST=0.0.0.0 NAVARCH_HTTP_PORT=8080
EXPOSE 8080
ENTRYPOINT ["python", "-m"]
CMD ["services.gateway"]
