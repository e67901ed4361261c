"""``safeguarding produce FILE|-``: validate a JSON Lines file of events and publish it to Kafka.

A thin layer on :class:`producers.publishing.Publisher`: invalid lines are reported by line
number and reason and not sent; the rest are published as they are. Progress (count, rate)
goes to stderr; the closing summary to stdout. Exit 0 when every line was sent; 1 when any
line was invalid or undelivered, or the file holds no events (checked, with binary data and a
JSON array, before the broker is contacted); 2 for a bad file, argument or setting; 3 when no
broker answers.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from collections.abc import Iterator
from typing import Any

from infra.cli_checks import input_file
from schemas.errors import UsageError, exit_code_for_counts

PROGRESS_EVERY = 500  # results between progress-bar refreshes: rich costs microseconds per call
MAX_FAILURES_SHOWN = 20  # a broker gone mid-run fails every event alike: show a few, count the rest


def register(sub: Any) -> None:
    p = sub.add_parser(
        "produce",
        help="validate a JSON Lines file of events and publish it to Kafka",
        description="Validate each line of a JSON Lines file against event contract v1 or v2 and publish "
        "the valid ones to the inbound topic (key = subject), idempotently with acks=all. Invalid "
        "lines are reported as 'line N: <reason>: <path>: <message>' and not sent. Re-running the "
        "same file is safe: the platform ignores a second event with the same (source, id). "
        "Needs a running broker: --bootstrap-servers or CSPR_KAFKA_BOOTSTRAP_SERVERS.",
        epilog="Exit status: 0 all sent; 1 some lines invalid or undelivered, or none at all; 2 bad file, "
        "argument or setting; 3 broker unreachable.",
    )
    p.add_argument("file", type=input_file(stdin=True), help="JSON Lines file, or - for standard input")
    p.add_argument("--bootstrap-servers", metavar="HOST:PORT[,HOST:PORT]",
                   help="the broker(s) to publish to (default: CSPR_KAFKA_BOOTSTRAP_SERVERS)")
    p.add_argument("--topic", help="topic to publish to (default: CSPR_TOPIC_INBOUND, cspr.events.inbound)")
    p.add_argument("--http", metavar="URL",
                   help="publish through the partner gateway at URL instead of Kafka (CloudEvents over HTTP, "
                   "batched), with the token in CSPR_PARTNER_TOKEN")
    p.add_argument("--dry-run", action="store_true", help="validate only; connect to nothing, send nothing")
    p.add_argument("--create-topics", action="store_true",
                   help="create the platform's topics first if missing (needs the right to create topics)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=cmd_produce)


def cmd_produce(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from infra.cli_checks import read_json_lines
    from infra.settings import settings as current_settings
    from producers.publishing.publisher import DeliveryResult, Publisher

    if not getattr(args, "verbose", 0):
        # kafka-python logs every refused connection attempt; our own error says it once, clearly.
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    settings = current_settings()
    servers = args.bootstrap_servers or settings.kafka_bootstrap_servers
    topic = args.topic or settings.topic_inbound
    if args.http and (args.bootstrap_servers or args.topic or args.create_topics):
        raise UsageError("--http publishes through the gateway; it takes no --bootstrap-servers, "
                         "--topic or --create-topics")

    publisher: Any = None
    if args.http and not args.dry_run:
        from producers.publishing.http import HttpPublisher

        token = settings.partner_token.get_secret_value() if settings.partner_token else None
        publisher = HttpPublisher(args.http, token)
        servers, topic = args.http, "the gateway"
    elif not args.dry_run:
        if args.create_topics:
            from infra.topics import ensure_topics

            ensure_topics(servers, settings)
        publisher = Publisher.from_settings(settings, bootstrap_servers=servers, topic=topic)

    total = _count_lines(args.file) if args.file != "-" else None
    err = Console(stderr=True, highlight=False)
    counts = {"sent": 0, "valid": 0, "invalid": 0, "failed": 0}
    started = time.monotonic()
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f} events/s"), TimeElapsedColumn(),
        console=err, disable=args.no_progress, transient=False,
    )
    try:
        with progress:
            task = progress.add_task("checking" if args.dry_run else "publishing", total=total, rate=0.0)
            lines, numbers = itertools.tee(read_json_lines(args.file))
            raws = (raw for _, raw in lines)
            refs = (number for number, _ in numbers)
            results: Iterator[DeliveryResult]
            if publisher is None:
                results = (Publisher.check(raw, ref) for raw, ref in zip(raws, refs, strict=True))
            else:
                results = publisher.publish_many(raws, refs=refs)
            done = 0
            for result in results:
                counts[result.status] += 1
                done += 1
                if result.status == "invalid" or (
                        result.status == "failed" and counts["failed"] <= MAX_FAILURES_SHOWN):
                    _report(err, result)
                if done % PROGRESS_EVERY == 0:
                    progress.update(task, completed=done, rate=done / max(time.monotonic() - started, 1e-9))
            progress.update(task, completed=done, total=done,
                            rate=done / max(time.monotonic() - started, 1e-9))
    finally:
        if publisher is not None:
            publisher.close()

    elapsed = time.monotonic() - started
    if counts["failed"] > MAX_FAILURES_SHOWN:
        err.print(f"... and {counts['failed'] - MAX_FAILURES_SHOWN} more events not delivered", markup=False)
    if args.dry_run:
        print(f"{counts['valid']} valid, {counts['invalid']} invalid (dry run: nothing sent)")
    else:
        print(f"{counts['sent']} sent, {counts['invalid']} invalid, {counts['failed']} failed "
              f"to {topic} at {servers} in {elapsed:.1f} s")
    good = counts["valid"] if args.dry_run else counts["sent"]
    return exit_code_for_counts(good=good, bad=counts["invalid"] + counts["failed"])


def _report(console: Any, result: Any) -> None:
    if result.status == "invalid":
        for problem in result.problems:
            console.print(f"line {result.ref}: {result.reason}: {problem.path}: {problem.message}",
                          markup=False, soft_wrap=True)
    else:
        console.print(result.describe(), markup=False, soft_wrap=True)


def _count_lines(file: str) -> int | None:
    try:
        with open(file, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return None
