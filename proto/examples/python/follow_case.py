#!/usr/bin/env python3
"""Follow one case through Tongban's event streams, as the provincial platform would.

Reads the case topics with confluent-kafka and decodes each event with classes generated from
the contract's .proto files (grpcio-tools' protoc, at start, into a temporary directory).

    pip install confluent-kafka protobuf grpcio-tools
    python3 follow_case.py --brokers kafka:9092 --case-number 1143...0001 [--timeout 60]

Prints one JSON object per event of the case, oldest first:
{"topic", "partition", "offset", "type", "id", "time", "subject", "regions", "payload"}
and exits when the case's result was delivered (0) or the timeout passed (1).
"""

import argparse
import importlib
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer
from google.protobuf.json_format import MessageToDict

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[2]
CASE_TOPICS = ["tongban.acceptance.v1", "tongban.approval.v1", "tongban.crossregion.v1"]
DELIVERED = "cn.tongban.acceptance.case_delivered.v1"


def generate(out: pathlib.Path) -> None:
    """Compiles every .proto of the contract into Python modules under `out`."""
    files = sorted(str(p) for p in (PROTO_ROOT / "tongban").rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
         f"-I{pathlib.Path(importlib.import_module('grpc_tools').__file__).parent / '_proto'}",
         f"--python_out={out}", *files],
        check=True,
    )
    sys.path.insert(0, str(out))


def message_class(ce_type: str):
    """cn.tongban.<service>.<event>.v1 -> tongban.<service>.v1.events_pb2.<Event>."""
    _, _, service, event, version = ce_type.split(".")
    module = importlib.import_module(f"tongban.{service}.{version}.events_pb2")
    return getattr(module, "".join(part.title() for part in event.split("_")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--case-number", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()

    generate(pathlib.Path(tempfile.mkdtemp(prefix="tongban-proto-")))
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": f"follow-case-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe(CASE_TOPICS)
    events, deadline = [], time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline:
            record = consumer.poll(0.5)
            if record is None or record.error():
                continue
            headers = {k: (v or b"").decode() for k, v in (record.headers() or [])}
            if headers.get("ce_subject") != args.case_number:
                continue
            payload = message_class(headers["ce_type"])()
            payload.ParseFromString(record.value())
            events.append({
                "topic": record.topic(),
                "partition": record.partition(),
                "offset": record.offset(),
                "type": headers["ce_type"],
                "id": headers["ce_id"],
                "time": headers["ce_time"],
                "subject": headers["ce_subject"],
                "regions": headers.get("ce_regions", ""),
                "payload": MessageToDict(payload),
            })
            if headers["ce_type"] == DELIVERED:
                break
    finally:
        consumer.close()
    events.sort(key=lambda e: e["time"])
    for event in events:
        print(json.dumps(event, ensure_ascii=False))
    return 0 if any(e["type"] == DELIVERED for e in events) else 1


if __name__ == "__main__":
    sys.exit(main())
