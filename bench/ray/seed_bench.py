# Ray side of the Wask-vs-Ray benchmark: the seed chapter's cases (Fibonacci, Monte Carlo pi, image processing) and no-op task latency/throughput, as one JSON object.
"""Runs the Ray tutorial chapter's three cases, serially and with ``@ray.remote``,
plus no-op task round trip and throughput, in one process against a fresh local
Ray instance, and prints one JSON object (every time in seconds).

Usage (see bench/ray/README.md):
    target/ray-venv/bin/python bench/ray/seed_bench.py [--quick] [--images DIR] [--out FILE]

Exit status: 0 when every check passed, 1 when a check failed or a step raised
(the JSON is still written, with "ok": false and an "error" when one raised),
2 for bad arguments.
"""

import time

SCRIPT_START = time.perf_counter()  # "start of the script": before `import ray`

import argparse  # noqa: E402
import datetime  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

# --- Keep Ray on this machine -------------------------------------------------------
# Set before `import ray`, and inherited by every process Ray starts.
# No usage stats, and no prompt about them.
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["RAY_USAGE_STATS_PROMPT_ENABLED"] = "0"
# Node IP = 127.0.0.1: without this, Ray on Linux works out the "node IP" from the
# route to a public address, and every Ray server binds to that interface.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
# Even with usage stats off, Ray's head process probes cloud metadata endpoints
# (169.254.169.254, metadata.google.internal) over HTTP with `requests`. Point plain
# HTTP(S) at a closed loopback port so those probes fail at once without leaving the
# machine; loopback itself is exempt (Ray's gRPC ignores these variables anyway).
for _var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
    os.environ[_var] = "http://127.0.0.1:9"
for _var in ("no_proxy", "NO_PROXY"):
    os.environ[_var] = "localhost,127.0.0.1,::1"
os.environ.pop("RAY_ADDRESS", None)  # always a fresh local instance, never a remote one

IMPORT_START = time.perf_counter()
import ray  # noqa: E402

IMPORT_END = time.perf_counter()

import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

try:
    import psutil  # installed by setup.sh
except ImportError:  # optional: only for the RSS figures
    psutil = None


def log(msg):
    print(f"[ray-bench] {msg}", file=sys.stderr, flush=True)


# --- Case 1: Fibonacci sequences, exactly as in the seed chapter ----------------------

SEQUENCE_SIZE = 100000


def generate_fibonacci(sequence_size):
    fibonacci = []
    for i in range(0, sequence_size):
        if i < 2:
            fibonacci.append(i)
            continue
        fibonacci.append(fibonacci[i-1] + fibonacci[i-2])
    return len(fibonacci)


# 在函数上增加一个 @ray.remote 装饰器
@ray.remote
def generate_fibonacci_distributed(sequence_size):
    return generate_fibonacci(sequence_size)


# --- Case 2: Monte Carlo pi -----------------------------------------------------------
# Each task draws n points uniformly in the unit square and counts those inside the
# quarter circle x^2 + y^2 <= 1; pi ~= 4 * inside / total. The generator is seeded per
# task, so a task gives the same count wherever it runs.


def sample(seed, num_samples):
    rng = np.random.default_rng(seed)
    x = rng.random(num_samples)
    y = rng.random(num_samples)
    return int(np.count_nonzero(x * x + y * y <= 1.0))


@ray.remote
def sample_distributed(seed, num_samples):
    return sample(seed, num_samples)


# --- Case 3: parallel image processing -----------------------------------------------
# PNG bytes in, PNG bytes out: decode, grayscale, 3x3 box blur, encode.


def process_image(image_bytes):
    with Image.open(io.BytesIO(image_bytes)) as image:
        processed = image.convert("L").filter(ImageFilter.BoxBlur(1))
    out = io.BytesIO()
    processed.save(out, format="PNG")
    return out.getvalue()


@ray.remote
def process_image_distributed(image_bytes):
    return process_image(image_bytes)


# --- No-op task -----------------------------------------------------------------------


@ray.remote
def noop():
    return None


@ray.remote
def worker_niceness():
    # Ray starts its workers at nice 15 (RAY_worker_niceness): when other work keeps the
    # cores busy, the parallel runs get less CPU than the serial ones in the driver.
    return os.nice(0)


# --- Measurement helpers --------------------------------------------------------------


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_case(name, repeat, serial, parallel, check):
    """Runs serial() then parallel() `repeat` times; check(serial_result, parallel_result)
    returns (ok, summary). Times reported are the medians over the repeats."""
    serial_runs, parallel_runs = [], []
    ok, summary = True, {}
    for r in range(repeat):
        s, serial_result = timed(serial)
        p, parallel_result = timed(parallel)
        serial_runs.append(s)
        parallel_runs.append(p)
        run_ok, summary = check(serial_result, parallel_result)
        ok = ok and run_ok
        log(f"{name}: serial {s:.3f}s, parallel {p:.3f}s (x{s / p:.2f}), check "
            f"{'ok' if run_ok else 'FAILED'}" + (f" [run {r + 1}/{repeat}]" if repeat > 1 else ""))
    serial_s = statistics.median(serial_runs)
    parallel_s = statistics.median(parallel_runs)
    return {
        "serial_s": serial_s,
        "parallel_s": parallel_s,
        "speedup": serial_s / parallel_s if parallel_s > 0 else None,
        "check_ok": ok,
        "serial_runs_s": serial_runs,
        "parallel_runs_s": parallel_runs,
        "results": summary,
    }


class RssSampler:
    """Polls the RSS of this driver and every process under it (gcs_server, raylet,
    workers, agents) in a background thread. RSS counts shared pages (libraries, the
    plasma store mapping) once per process, so the sum overstates real use."""

    def __init__(self, interval_s):
        self.interval_s = interval_s
        self.me = psutil.Process()
        self.peak_total = 0
        self.peak_driver = 0
        self.peak_ray = 0
        self.peak_ray_breakdown = {}
        self.max_processes = 0
        self.max_workers = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    def _run(self):
        while not self._stop.wait(self.interval_s):
            self.sample()

    def sample(self):
        try:
            driver = self.me.memory_info().rss
            children = self.me.children(recursive=True)
        except psutil.Error:
            return
        ray_total, breakdown, workers = 0, {}, 0
        for child in children:
            try:
                rss = child.memory_info().rss
                name = child.name()
            except psutil.Error:
                continue  # exited between listing and reading
            if name.startswith("ray::") and name.endswith("Agent"):
                key = name[len("ray::"):]  # DashboardAgent, RuntimeEnvAgent (started by the raylet)
            elif name.startswith("ray::"):
                key = "workers"  # ray::IDLE or ray::<task name>
                workers += 1
            elif name.startswith("python"):
                # agents and monitors are Python processes: name them by their script
                try:
                    script = next((Path(a).stem for a in child.cmdline() if a.endswith(".py")), name)
                except psutil.Error:
                    script = name
                key = script
            else:
                key = name
            breakdown[key] = breakdown.get(key, 0) + rss
            ray_total += rss
        self.samples += 1
        self.peak_driver = max(self.peak_driver, driver)
        self.peak_total = max(self.peak_total, driver + ray_total)
        self.max_processes = max(self.max_processes, 1 + len(children))
        self.max_workers = max(self.max_workers, workers)
        if ray_total > self.peak_ray:
            self.peak_ray = ray_total
            self.peak_ray_breakdown = breakdown

    def report(self):
        return {
            "method": f"psutil RSS of the driver and all its descendants, sampled every {self.interval_s}s "
                      "(shared pages counted once per process)",
            "samples": self.samples,
            "peak_total_rss_bytes": self.peak_total,
            "peak_driver_rss_bytes": self.peak_driver,
            "peak_ray_processes_rss_bytes": self.peak_ray,
            "peak_ray_processes_breakdown_bytes": dict(sorted(self.peak_ray_breakdown.items())),
            "max_processes": self.max_processes,
            "max_worker_processes": self.max_workers,
        }


# --- The run --------------------------------------------------------------------------


def parse_args(argv):
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        description="Ray side of the Wask-vs-Ray benchmark (the seed chapter's cases).")
    parser.add_argument("--cpus", type=int, default=cpus, help="ray.init(num_cpus=N) (default: os.cpu_count())")
    parser.add_argument("--tasks", type=int, help="case 1: Fibonacci calls (default: os.cpu_count())")
    parser.add_argument("--fib-size", type=int, help=f"case 1: sequence size (default {SEQUENCE_SIZE}, quick 20000)")
    parser.add_argument("--pi-tasks", type=int, help="case 2: tasks (default 8, quick 4)")
    parser.add_argument("--pi-samples", type=int, help="case 2: samples per task (default 1000000, quick 200000)")
    parser.add_argument("--images", type=Path, help="case 3: folder of PNG images (case 3 is skipped without it)")
    parser.add_argument("--noop-tasks", type=int, help="no-op throughput: tasks (default 10000, quick 2000)")
    parser.add_argument("--noop-roundtrips", type=int, help="no-op round trips measured (default 2000, quick 300)")
    parser.add_argument("--noop-warmup", type=int, help="no-op round trips before measuring (default 200, quick 50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case; times are medians (default 1)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: the run takes well under a minute")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any ray.get may wait (default 600)")
    parser.add_argument("--no-rss", action="store_true", help="do not sample the RSS of the Ray processes")
    parser.add_argument("--rss-interval", type=float, default=0.2, help="RSS sampling period in seconds")
    parser.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)

    def pick(value, default, quick):
        return value if value is not None else (quick if args.quick else default)

    args.tasks = pick(args.tasks, cpus, cpus)
    args.fib_size = pick(args.fib_size, SEQUENCE_SIZE, 20000)
    args.pi_tasks = pick(args.pi_tasks, 8, 4)
    args.pi_samples = pick(args.pi_samples, 1_000_000, 200_000)
    args.noop_tasks = pick(args.noop_tasks, 10000, 2000)
    args.noop_roundtrips = pick(args.noop_roundtrips, 2000, 300)
    args.noop_warmup = pick(args.noop_warmup, 200, 50)
    for name in ("cpus", "tasks", "fib_size", "pi_tasks", "pi_samples", "noop_tasks", "noop_roundtrips", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.noop_warmup < 0 or args.timeout <= 0 or args.rss_interval <= 0:
        parser.error("--noop-warmup must be >= 0, --timeout and --rss-interval > 0")
    return args


def machine_info():
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python_implementation": platform.python_implementation(),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    if psutil is not None:
        info["memory_bytes"] = psutil.virtual_memory().total
    if hasattr(os, "getloadavg"):
        info["loadavg_at_start"] = list(os.getloadavg())
    return info


def case_fibonacci(args):
    size, tasks = args.fib_size, args.tasks

    # 顺序执行
    def run_local():
        return [generate_fibonacci(size) for _ in range(tasks)]

    # 使用 Ray 进行分布式扩展
    def run_remote():
        return ray.get([generate_fibonacci_distributed.remote(size) for _ in range(tasks)],
                       timeout=args.timeout)

    def check(serial, parallel):
        ok = len(serial) == len(parallel) == tasks and all(r == size for r in serial + parallel)
        return ok, {"sequence_size": size, "tasks": tasks, "serial": serial, "parallel": parallel}

    return run_case("case 1 fibonacci", args.repeat, run_local, run_remote, check)


def case_pi(args):
    tasks, n = args.pi_tasks, args.pi_samples

    def run_local():
        return [sample(seed, n) for seed in range(tasks)]

    def run_remote():
        return ray.get([sample_distributed.remote(seed, n) for seed in range(tasks)], timeout=args.timeout)

    def check(serial, parallel):
        total = tasks * n
        estimate = 4.0 * sum(parallel) / total
        error = abs(estimate - math.pi)
        ok = serial == parallel and error < 0.01
        return ok, {"tasks": tasks, "samples_per_task": n, "total_samples": total, "counts": parallel,
                    "serial_equals_parallel": serial == parallel, "pi_estimate": estimate, "abs_error": error}

    return run_case("case 2 monte carlo pi", args.repeat, run_local, run_remote, check)


def case_images(args):
    folder = args.images
    if folder is None:
        log("case 3 image processing: skipped (no --images folder given)")
        return {"skipped": True, "reason": "no --images folder given"}
    paths = sorted(p for p in folder.glob("*.png") if p.is_file()) if folder.is_dir() else []
    if not paths:
        reason = f"{folder} has no .png file" if folder.is_dir() else f"{folder} does not exist"
        log(f"case 3 image processing: skipped ({reason})")
        return {"skipped": True, "reason": reason}

    # Reading the files is part of both timings: the driver reads, the task gets bytes.
    def run_local():
        return [process_image(p.read_bytes()) for p in paths]

    def run_remote():
        return ray.get([process_image_distributed.remote(p.read_bytes()) for p in paths], timeout=args.timeout)

    def check(serial, parallel):
        ok = len(serial) == len(parallel) == len(paths)
        sizes, in_bytes, out_bytes, modes = [], 0, 0, set()
        for path, out in zip(paths, parallel):
            with Image.open(path) as src, Image.open(io.BytesIO(out)) as dst:
                ok = ok and src.size == dst.size and dst.mode == "L"
                sizes.append(list(src.size))
                modes.add(dst.mode)
            in_bytes += path.stat().st_size
            out_bytes += len(out)
        identical = serial == parallel
        unique_sizes = sorted({tuple(s) for s in sizes})
        return ok and identical, {
            "folder": str(folder), "images": len(paths),
            "sizes": [list(s) for s in unique_sizes], "output_modes": sorted(modes),
            "input_bytes": in_bytes, "output_bytes": out_bytes,
            "serial_equals_parallel": identical,
        }

    return run_case("case 3 image processing", args.repeat, run_local, run_remote, check)


def noop_figures(args):
    get = lambda ref: ray.get(ref, timeout=args.timeout)  # noqa: E731
    for _ in range(args.noop_warmup):
        get(noop.remote())
    latencies = []
    for _ in range(args.noop_roundtrips):
        start = time.perf_counter()
        get(noop.remote())
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    roundtrip = {
        "count": len(latencies), "warmup": args.noop_warmup,
        "p50_s": percentile(latencies, 50), "p90_s": percentile(latencies, 90),
        "p99_s": percentile(latencies, 99), "mean_s": statistics.fmean(latencies),
        "min_s": latencies[0], "max_s": latencies[-1],
    }
    log(f"no-op round trip: p50 {roundtrip['p50_s'] * 1e3:.3f} ms, p99 {roundtrip['p99_s'] * 1e3:.3f} ms "
        f"over {len(latencies)}")

    n = args.noop_tasks
    start = time.perf_counter()
    refs = [noop.remote() for _ in range(n)]
    submitted = time.perf_counter()
    results = ray.get(refs, timeout=args.timeout)
    done = time.perf_counter()
    ok = len(results) == n and all(r is None for r in results)
    throughput = {
        "tasks": n, "submit_s": submitted - start, "total_s": done - start,
        "tasks_per_s": n / (done - start), "check_ok": ok,
    }
    log(f"no-op throughput: {n} tasks in {done - start:.3f}s = {throughput['tasks_per_s']:.0f} tasks/s")
    return {"roundtrip": roundtrip, "throughput": throughput}


def main(argv):
    args = parse_args(argv)
    report = {
        "benchmark": "ray-seed",
        "schema": 1,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable] + sys.argv),
        "versions": {
            "python": platform.python_version(), "ray": ray.__version__, "numpy": np.__version__,
            "pillow": PIL.__version__, "psutil": psutil.__version__ if psutil else None,
        },
        "machine": machine_info(),
        "config": {
            "quick": args.quick, "cpus": args.cpus, "repeat": args.repeat,
            "fibonacci": {"tasks": args.tasks, "sequence_size": args.fib_size},
            "monte_carlo_pi": {"tasks": args.pi_tasks, "samples_per_task": args.pi_samples},
            "image_processing": {"images": str(args.images) if args.images else None},
            "noop": {"tasks": args.noop_tasks, "roundtrips": args.noop_roundtrips, "warmup": args.noop_warmup},
        },
        "startup": {"import_ray_s": IMPORT_END - IMPORT_START},
        "cases": {},
    }
    sampler = None
    checks = []
    # SIGTERM (e.g. from a bench harness) unwinds through `finally`, so Ray is shut down
    # (ray.init installs a handler of its own that does the same).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if psutil is not None and not args.no_rss:
            sampler = RssSampler(args.rss_interval).start()
        log(f"ray {ray.__version__}: ray.init(num_cpus={args.cpus}) on loopback")
        init_start = time.perf_counter()
        # address="local": always start a new instance, never join one that is running.
        # log_to_driver=False: workers' output stays in Ray's session logs, so stdout
        # carries nothing but the JSON (a task's exception still reaches ray.get).
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False,
                 logging_level=logging.ERROR, log_to_driver=False)
        init_end = time.perf_counter()
        node_ip = ray.util.get_node_ip_address()
        report["startup"]["ray_init_s"] = init_end - init_start
        report["startup"]["node_ip_address"] = node_ip
        if not (node_ip.startswith("127.") or node_ip == "::1"):
            raise RuntimeError(f"Ray chose node address {node_ip}, not loopback; refusing to run")

        ray.get(noop.remote(), timeout=args.timeout)
        first = time.perf_counter()
        report["startup"]["first_noop_after_init_s"] = first - init_end
        report["startup"]["script_start_to_first_result_s"] = first - SCRIPT_START
        if psutil is not None:
            # wall time since the interpreter process started (10 ms resolution)
            report["startup"]["process_start_to_first_result_s"] = time.time() - psutil.Process().create_time()
        report["machine"]["driver_niceness"] = os.nice(0)
        report["machine"]["worker_niceness"] = ray.get(worker_niceness.remote(), timeout=args.timeout)
        log(f"ray.init {init_end - init_start:.3f}s; first remote no-op result "
            f"{first - SCRIPT_START:.3f}s after the script started")

        for key, case in (("fibonacci", case_fibonacci), ("monte_carlo_pi", case_pi),
                          ("image_processing", case_images)):
            result = case(args)
            report["cases"][key] = result
            if not result.get("skipped"):
                checks.append(result["check_ok"])

        report["noop"] = noop_figures(args)
        checks.append(report["noop"]["throughput"]["check_ok"])
    except BaseException as exc:  # noqa: BLE001 - reported in the JSON; exit status 1
        report["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    finally:
        if sampler is not None:
            sampler.stop()
            report["memory"] = sampler.report()
            try:
                import resource  # exact peak of the driver; the sampler can miss short peaks

                scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: KiB on Linux
                report["memory"]["driver_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
            except (ImportError, OSError):
                pass
        shutdown_start = time.perf_counter()
        try:
            ray.shutdown()
        except Exception as exc:  # noqa: BLE001
            log(f"ray.shutdown() failed: {exc}")
        report["shutdown_s"] = time.perf_counter() - shutdown_start
        if hasattr(os, "getloadavg"):
            report["machine"]["loadavg_at_end"] = list(os.getloadavg())
        report["total_s"] = time.perf_counter() - SCRIPT_START
        report["ok"] = bool(checks) and all(checks) and "error" not in report

    text = json.dumps(report, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
        log(f"wrote {args.out}")
    else:
        print(text, flush=True)
    log(f"{'ok' if report['ok'] else 'FAILED'} in {report['total_s']:.1f}s")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
