//! Ray-style dataflow through the library: refs as arguments, failure propagation,
//! several returns, retries and nested tasks, on the test backend
//! (`WASK_TEST_BACKEND`): the local runtime or a cluster of worker processes.

use std::path::Path;

use wask::{
    CallError, GetError, Runtime, RuntimeConfig, SubmitError, TaskError, TaskOptions, TenantConfig,
    Value,
};
use wask_tests::guests;

fn runtime(n_workers: usize) -> Runtime {
    wask_tests::backend::runtime(RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    })
}

fn numbers(ns: impl IntoIterator<Item = u64>) -> Value {
    Value::List(ns.into_iter().map(Value::U64).collect())
}

#[test]
fn refs_pass_values_down_a_chain_of_tasks() {
    let rt = runtime(2);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let start = rt.put(Value::U64(1));
    let mut object = start;
    for _ in 0..3 {
        object = rt.task(&flow, "increment").arg(&object).submit().unwrap();
    }
    assert_eq!(rt.get(&object, None).unwrap(), Value::U64(4));
}

#[test]
fn an_upstream_failure_reaches_every_dependent_and_names_the_failed_task() {
    let rt = runtime(2);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let failing = rt
        .task(&flow, "check")
        .arg(Value::U64(5))
        .arg(Value::Bool(true))
        .submit()
        .unwrap();
    let second = rt.task(&flow, "increment").arg(&failing).submit().unwrap();
    let third = rt.task(&flow, "increment").arg(&second).submit().unwrap();
    for dependent in [&second, &third] {
        match rt.get(dependent, None) {
            Err(GetError::Task {
                error:
                    TaskError::Upstream {
                        object,
                        function,
                        error,
                    },
                ..
            }) => {
                assert_eq!(object, failing.id(), "names the task that failed first");
                assert_eq!(function, "check");
                assert!(
                    error.to_string().contains("check failed for 5"),
                    "says why: {error}"
                );
            }
            other => panic!("expected an upstream failure, got {other:?}"),
        }
    }
    let message = rt.get(&third, None).unwrap_err().to_string();
    assert!(
        message.contains(&format!("upstream task `check` ({}) failed", failing.id())),
        "{message}"
    );
}

#[test]
fn a_refs_type_is_checked_against_the_parameter_at_submit() {
    let rt = runtime(1);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let count = rt
        .task(&flow, "increment")
        .arg(Value::U64(1))
        .submit()
        .unwrap();
    let err = rt.task(&flow, "sum").arg(&count).submit().unwrap_err();
    assert!(matches!(
        err,
        SubmitError::Call(CallError::WrongType { .. })
    ));
    assert_eq!(
        err.to_string(),
        "argument 1 (`numbers`) of `sum`: expected list<u64>, got a ref to u64"
    );
    // A ready put is checked by its value.
    let text = rt.put(Value::String("x".into()));
    assert!(rt.task(&flow, "increment").arg(&text).submit().is_err());
    // Another tenant's ref is refused as an argument.
    let other = rt.add_tenant("other", TenantConfig::default()).unwrap();
    let foreign = other.put(Value::U64(3));
    assert!(matches!(
        rt.task(&flow, "increment").arg(&foreign).submit(),
        Err(SubmitError::ForeignRef { .. })
    ));
}

#[test]
fn a_tuple_result_splits_into_one_ref_per_element() {
    let rt = runtime(2);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let parts = rt
        .task(&flow, "split")
        .arg(numbers(1..=10))
        .submit_returns()
        .unwrap();
    assert_eq!(parts.len(), 2);
    let sums: Vec<_> = parts
        .iter()
        .map(|part| rt.task(&flow, "sum").arg(part).submit().unwrap())
        .collect();
    assert_eq!(
        rt.get_all(&sums, None).unwrap(),
        [Value::U64(30), Value::U64(25)]
    );
    assert_eq!(rt.get(&parts[0], None).unwrap(), numbers([2, 4, 6, 8, 10]));
    assert!(matches!(
        rt.task(&flow, "increment")
            .arg(Value::U64(1))
            .submit_returns(),
        Err(SubmitError::NotATuple { .. })
    ));
}

#[test]
fn traps_are_retried_and_attempts_counted() {
    let rt = runtime(1);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let options = TaskOptions {
        max_retries: 2,
        ..TaskOptions::default()
    };
    let always = rt
        .task(&flow, "check")
        .arg(Value::U64(1))
        .arg(Value::Bool(true))
        .options(options.clone())
        .submit()
        .unwrap();
    assert!(matches!(
        rt.get(&always, None),
        Err(GetError::Task {
            error: TaskError::Trap { .. },
            ..
        })
    ));
    assert_eq!(always.attempts(), 3, "one run and two retries");
    let fine = rt
        .task(&flow, "check")
        .arg(Value::U64(1))
        .arg(Value::Bool(false))
        .options(options.clone())
        .submit()
        .unwrap();
    assert_eq!(rt.get(&fine, None).unwrap(), Value::U64(1));
    assert_eq!(fine.attempts(), 1);
    // A cancelled task is not retried.
    let gate = rt
        .task(&flow, "check")
        .arg(Value::U64(1))
        .arg(Value::Bool(false))
        .submit()
        .unwrap();
    let cancelled = rt
        .task(&flow, "check")
        .arg(Value::U64(2))
        .arg(Value::Bool(true))
        .options(options)
        .submit()
        .unwrap();
    rt.cancel(&cancelled).unwrap();
    rt.get(&gate, None).unwrap();
    assert!(matches!(
        rt.get(&cancelled, None),
        Err(GetError::Task {
            error: TaskError::Cancelled,
            ..
        })
    ));
    assert!(cancelled.attempts() <= 1);
}

#[test]
fn nested_tasks_deeper_than_the_pool_do_not_deadlock() {
    // Depth 4 is 31 tasks, each but the leaves blocked in `get` on two children, on a
    // pool of 2 workers.
    let rt = runtime(2);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let tree = rt
        .submit(flow.parse_call("count-tree(4)").unwrap())
        .unwrap();
    assert_eq!(
        rt.get(&tree, Some(std::time::Duration::from_mins(2)))
            .unwrap(),
        Value::U64(31)
    );
}

#[test]
fn nested_tasks_run_for_a_tenant_capped_at_one_task() {
    // The parent waits for its children; while it waits it does not count against
    // the tenant's cap of one, or the children could never start.
    let rt = runtime(2);
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let capped = rt
        .add_tenant(
            "capped",
            TenantConfig {
                max_concurrency: 1,
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let tree = capped
        .submit(flow.parse_call("count-tree(2)").unwrap())
        .unwrap();
    assert_eq!(
        capped
            .get(&tree, Some(std::time::Duration::from_mins(2)))
            .unwrap(),
        Value::U64(7)
    );
}
