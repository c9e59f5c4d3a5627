"""A stand-in operator: records every message on one topic to a file, across broker outages.

Run as ``python tests/uplink/event_recorder.py --port P --topic T --out FILE [--ca --cert --key]``.
It keeps a persistent session (``clean_session=False``, fixed client id, QoS 1), so what the
broker queued for it while it was away arrives when it reconnects. Prints ``ready`` once
subscribed the first time. One JSON payload per line in ``FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys

import aiomqtt


async def record(args: argparse.Namespace) -> None:
    tls = None
    if args.ca:
        tls = ssl.create_default_context(cafile=args.ca)
        if args.cert:
            tls.load_cert_chain(args.cert, args.key)
    announced = False
    with open(args.out, "ab", buffering=0) as out:
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1", args.port, identifier=args.client_id, clean_session=False, tls_context=tls
                ) as client:
                    await client.subscribe(args.topic, qos=1)
                    if not announced:
                        print("ready", flush=True)
                        announced = True
                    async for message in client.messages:
                        payload = message.payload if isinstance(message.payload, bytes) else b""
                        out.write(payload.replace(b"\n", b" ") + b"\n")
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--client-id", default="event-recorder")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    try:
        asyncio.run(record(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
