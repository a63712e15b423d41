"""python -m benchmarks crisis_latency: time from committing an emergency message to the first
provider call for it, while 100,000 campaign messages wait in the outbox and drain at the
campaign rate limit. Reports p95 over BENCH_SAMPLES (default 20) emergencies. Target p95 < 1 s."""

import os
import time


def run() -> dict:
    from benchmarks import _alerts_stack as stack

    stack.setup_django()
    from django.db import transaction

    from alerts.models import Message
    from alerts.services import message_queue
    from alerts.services.outbox import kick_dispatch
    from tests.fakes.twilio import RemoteFakeTwilio

    backlog = int(os.environ.get("BENCH_BACKLOG", "100000"))
    samples = int(os.environ.get("BENCH_SAMPLES", "20"))
    fake = RemoteFakeTwilio(latency=0.01)
    worker = None
    latencies = []
    try:
        stack.purge_broker(os.environ["CELERY_BROKER_URL"])
        stack.empty_outbox()
        stack.insert_backlog(backlog, "c")
        worker = stack.start_worker(fake, ALERTS_RATE_SMS="300")
        time.sleep(3)
        kick_dispatch("sms", parallel=os.cpu_count() or 2)
        fake.wait_for(300, timeout=60)
        beat = stack.Beat()
        for n in range(samples):
            beat.tick()
            number = f"+1312555{n:04d}"
            wall = time.time()
            with transaction.atomic():
                message_queue(
                    channel="sms",
                    address=number,
                    purpose="case.pickup",
                    template_key="portal.code",
                    language="en",
                    context={"code": f"e{n}"},
                    idempotency_key=f"crisis-{time.time_ns()}-{n}",
                    emergency=True,
                )
            deadline = time.monotonic() + 10
            hit = None
            while hit is None and time.monotonic() < deadline:
                hit = next(iter(fake.created(to=number)), None)
                time.sleep(0.02)
            latencies.append((hit.at - wall) if hit else 10.0)
            time.sleep(0.2)
        queued = Message.objects.filter(lane="bulk", status="queued").count()
    finally:
        if worker is not None:
            stack.stop_worker(worker)
        fake.stop()
    latencies.sort()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    return {
        "name": "crisis_latency",
        "value": round(p95, 3),
        "unit": "s (p95)",
        "p50": round(latencies[len(latencies) // 2], 3),
        "max": round(latencies[-1], 3),
        "samples": len(latencies),
        "backlog": backlog,
        "backlog_still_queued": queued,
        "target": "p95 < 1 s",
    }


if __name__ == "__main__":
    print(run())
