# The seed chapter's two compute cases in plain Python, as the chapter writes them, with
# type hints added where it has none (`sequence_size: int`, `-> int`, `verbose: bool`):
# `host build` makes each public function a task (see docs/AUTHORING.md), and
# `cargo xtask demo` runs them beside the Rust guests as `fibonacci-py` and
# `monte-carlo-py`. `generate_fibonacci` is the chapter's case 1, `sampling_task` the
# task of its case 2 (Monte Carlo pi).
import math
import random

SEQUENCE_SIZE = 100000


def generate_fibonacci(sequence_size: int) -> int:
    fibonacci = []
    for i in range(0, sequence_size):
        if i < 2:
            fibonacci.append(i)
            continue
        fibonacci.append(fibonacci[i-1] + fibonacci[i-2])
    return len(fibonacci)


def sampling_task(num_samples: int, task_id: int, verbose: bool = True) -> int:
    num_inside = 0
    for i in range(num_samples):
        x, y = random.uniform(-1, 1), random.uniform(-1, 1)
        # 如果在圆内
        if math.hypot(x, y) <= 1:
            num_inside += 1
    if verbose:
        print(f"Task id: {task_id} | Samples in the circle: {num_inside}")
    return num_inside
