"""Batched submit through `host serve`: no-op tasks per second, end to end.

Each of --connections threads submits batches of --batch no-op calls
(`POST /v1/tasks/batch`) and waits for all of them to finish (`POST /v1/wait` with
`num_returns` = the batch), until --tasks tasks have finished. Prints one JSON line:
tasks, seconds, tasks per second. Standard library only.

Usage: python3 batch.py URL TOKEN COMPONENT_ID [--tasks N] [--batch N] [--connections N]
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("component")
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    parsed = urllib.parse.urlparse(args.url)
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    body = json.dumps({"component": args.component,
                       "tasks": [{"call": "noop()"}] * args.batch}).encode()
    n_batches = args.tasks // args.batch
    lock = threading.Lock()
    state = {"next": 0, "done": 0, "errors": []}

    def request(conn, path, payload):
        conn.request("POST", path, body=payload, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        if reply.status >= 300:
            raise RuntimeError(f"POST {path}: {reply.status} {data[:300]!r}")
        return json.loads(data)

    def worker():
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        while True:
            with lock:
                if state["next"] >= n_batches or state["errors"]:
                    return
                state["next"] += 1
            try:
                ids = request(conn, "/v1/tasks/batch", body)["ids"]
                wait = json.dumps({"ids": ids, "num_returns": len(ids), "timeout": "60s"})
                answer = request(conn, "/v1/wait", wait.encode())
                if answer["pending"]:
                    raise RuntimeError(f"{len(answer['pending'])} tasks still pending after 60 s")
            except Exception as error:  # noqa: BLE001 (reported, and the run fails)
                with lock:
                    state["errors"].append(str(error))
                return
            with lock:
                state["done"] += len(ids)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if state["errors"]:
        print("\n".join(state["errors"]), file=sys.stderr)
        return 1
    print(json.dumps({"tasks": state["done"], "batch": args.batch,
                      "connections": args.connections, "seconds": round(seconds, 3),
                      "tasks_per_second": round(state["done"] / seconds)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
