//! The seed chapter's Ray code, step by step, with Wask: remote calls, `get`, a list of
//! refs, `wait` in a loop, `put` and refs passed as arguments.
//!
//! Run it with the fibonacci and dataflow guests (`cargo xtask guests` prints where):
//! `cargo run -p wask --example ray_tasks -- fibonacci.wasm dataflow.wasm`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wask::{Runtime, RuntimeConfig, Value};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).map(PathBuf::from);
    let (Some(fibonacci), Some(dataflow)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: ray_tasks FIBONACCI.wasm DATAFLOW.wasm");
    };

    // ray.init()
    let runtime = Runtime::new(RuntimeConfig::default())?;
    let cpu_count = runtime.n_workers();

    // @ray.remote def generate_fibonacci(sequence_size): ...
    let fib = runtime.load(&fibonacci)?;
    let sequence_size = 20_000;

    // generate_fibonacci.remote(SEQUENCE_SIZE) returns an ObjectRef at once: a future.
    let object =
        runtime.submit(fib.call("generate-fibonacci", vec![Value::U32(sequence_size)])?)?;
    println!("1. remote call returned {object:?} at once");

    // ray.get(object_ref) blocks until the value is there.
    println!("2. get: {:?}", runtime.get(&object, None)?);

    // ray.get([generate_fibonacci.remote(SEQUENCE_SIZE) for _ in range(os.cpu_count())])
    let started = Instant::now();
    let refs: Vec<_> = (0..cpu_count)
        .map(|_| {
            let call = fib.call("generate-fibonacci", vec![Value::U32(sequence_size)])?;
            Ok(runtime.submit(call)?)
        })
        .collect::<anyhow::Result<_>>()?;
    let lengths = runtime.get_all(&refs, None)?;
    println!(
        "3. a list of {} refs: {lengths:?} in {:.3} s",
        refs.len(),
        started.elapsed().as_secs_f64()
    );

    // ready, pending = ray.wait(pending, num_returns=1), in a loop, as results come in.
    let mut pending: Vec<_> = [30_000, 1_000, 10_000]
        .into_iter()
        .map(|n| Ok(runtime.submit(fib.call("generate-fibonacci", vec![Value::U32(n)])?)?))
        .collect::<anyhow::Result<_>>()?;
    let mut order = Vec::new();
    while !pending.is_empty() {
        let (ready, rest) = runtime.wait(&pending, 1, Some(Duration::from_mins(1)))?;
        for object in &ready {
            order.push(runtime.get(object, None)?);
        }
        pending = rest;
    }
    println!("4. wait in a loop, in the order they finished: {order:?}");

    // ray.put(value), then refs as arguments: the value flows from task to task.
    let flow = runtime.load(&dataflow)?;
    let start = runtime.put(Value::U64(41));
    let next = runtime.task(&flow, "increment").arg(&start).submit()?;
    let sum = runtime
        .task(&flow, "sum")
        .arg(Value::List(vec![Value::U64(1), Value::U64(2)]))
        .submit()?;
    // @ray.remote(num_returns=2): one ref per element of the tuple it returns.
    let parts = runtime
        .task(&flow, "split")
        .arg(Value::List((1..=6).map(Value::U64).collect()))
        .submit_returns()?;
    println!(
        "5. put + refs as arguments: increment(put(41)) = {:?}, sum([1, 2]) = {:?}, split(1..=6) = {:?} and {:?}",
        runtime.get(&next, None)?,
        runtime.get(&sum, None)?,
        runtime.get(&parts[0], None)?,
        runtime.get(&parts[1], None)?,
    );
    Ok(())
}
