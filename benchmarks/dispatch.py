"""python -m benchmarks dispatch: 100,000 campaign messages through the outbox to the Twilio fake
(10 ms latency) with the default worker set-up, against a bare loop calling the fake with the
same concurrency and no database or broker. Target >= 1,000 msg/s and ratio >= 0.5.

BENCH_MESSAGES overrides the count. The outbox rows are bulk-inserted (a campaign's rows);
what is timed is claim → provider call → record, through Redis and the worker."""

import os
import time
from concurrent.futures import ThreadPoolExecutor


def _bare_loop(fake, count: int, concurrency: int) -> float:
    import threading

    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    local = threading.local()

    def send(i: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = Client(fake.account_sid, fake.auth_token, http_client=TwilioHttpClient())
            client.api.base_url = fake.url
            local.client = client
        client.messages.create(
            to=f"+1202555{i % 10000:04d}", from_="+13125550100", body=f"bare {i}"
        )

    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(count)))
    return count / (time.monotonic() - start)


def run() -> dict:
    from benchmarks import _alerts_stack as stack

    stack.setup_django()
    from alerts import conf
    from alerts.models import Message
    from alerts.services.outbox import kick_dispatch
    from tests.fakes.twilio import RemoteFakeTwilio

    count = int(os.environ.get("BENCH_MESSAGES", "100000"))
    processes = os.cpu_count() or 2
    concurrency = processes * conf.bulk_concurrency()
    fake = RemoteFakeTwilio(latency=0.01)
    worker = None
    try:
        baseline = _bare_loop(fake, min(count, 20000), concurrency)
        fake.reset()
        stack.purge_broker(os.environ["CELERY_BROKER_URL"])
        stack.empty_outbox()
        stack.insert_backlog(count, "d")
        worker = stack.start_worker(fake, ALERTS_RATE_SMS="0")
        time.sleep(3)  # worker boot is not part of the measurement
        start = time.monotonic()
        kick_dispatch("sms", parallel=processes)
        beat = stack.Beat()
        while Message.objects.filter(status=Message.Status.SENT).count() < count:
            time.sleep(0.5)
            beat.tick()
            if time.monotonic() - start > 1800:
                break
        elapsed = time.monotonic() - start
        sent = Message.objects.filter(status=Message.Status.SENT).count()
        provider = len(fake.created())
    finally:
        if worker is not None:
            stack.stop_worker(worker)
        fake.stop()
    value = sent / elapsed
    return {
        "name": "dispatch",
        "value": round(value, 1),
        "unit": "msg/s",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3),
        "messages": count,
        "sent": sent,
        "provider_ledger": provider,
        "seconds": round(elapsed, 1),
        "worker_processes": processes,
        "concurrency": concurrency,
        "target": ">= 1000 msg/s and ratio >= 0.5",
    }


if __name__ == "__main__":
    print(run())
