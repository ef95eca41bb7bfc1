"""What the service tells its operators: a request id, one JSON log line and metrics per request.

Written as plain ASGI middleware (not Starlette's `BaseHTTPMiddleware`) because it wraps every
request on the hot path and must cost microseconds, not a task switch.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Any other method is counted as "other": a scanner's invented methods must not add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def configure_logging(level: str = "INFO") -> None:
    """Send every log record, the server's included, to stderr as one JSON object per line."""
    handler = logging.StreamHandler()
    # `timestamp` is ISO 8601 in UTC; uvicorn's `color_message` (ANSI escapes) has no place in JSON.
    fields = "%(levelname)s %(name)s %(message)s"
    handler.setFormatter(JsonFormatter(fields, timestamp=True, reserved_attrs=[*RESERVED_ATTRS, "color_message"]))
    logging.basicConfig(level=level, handlers=[handler], force=True)


class Metrics:
    """Prometheus metrics of one app, in their own registry so that apps never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer, by endpoint and method.",
            ["endpoint", "method"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.predictions = Counter("predictions", "Rows scored by /predict.", registry=self.registry)
        self.prediction_log = Counter(
            "prediction_log_records",
            "Records of /predict by what became of them in the prediction log: logged, dropped (the buffer "
            "was full) or failed (the file could not be written).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("logged", "dropped", "failed"):  # at 0 from the start, so that rates and alerts work
            self.prediction_log.labels(outcome)

    def count_logged(self, outcome: str, rows: int) -> None:
        """Count prediction-log records by outcome (called by `predlog.PredictionLog`)."""
        self.prediction_log.labels(outcome).inc(rows)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestTelemetry:
    """Tags each request with an id (the caller's `X-Request-ID`, or a new one), echoes it in the
    response, and records the request in the metrics and in the access log."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # if the app fails before answering, that is what the client gets

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            endpoint = getattr(route, "path", "unmatched")  # a template, so labels stay few
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(endpoint, method, str(status)).inc()
            self.metrics.latency.labels(endpoint, method).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex
