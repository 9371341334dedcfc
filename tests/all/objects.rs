//! The object store through the runtime: awaiting refs, ids written down and looked up,
//! foreign and freed refs, and the memory cap that spills values to disk.

use std::path::Path;
use std::time::Duration;

use wask::{
    GetError, ObjectId, Runtime, RuntimeConfig, StoreConfig, TaskError, TaskOptions, Value,
};
use wask_tests::guests;

fn runtime(config: RuntimeConfig) -> Runtime {
    Runtime::new(config).unwrap()
}

fn small() -> RuntimeConfig {
    RuntimeConfig {
        n_workers: 2,
        ..RuntimeConfig::default()
    }
}

#[test]
fn refs_can_be_awaited_under_tokio_and_the_blocking_api_stays() {
    let rt = runtime(small());
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let refs: Vec<_> = (10..14)
        .map(|n| {
            rt.submit(fib.call("fib", vec![Value::U32(n)]).unwrap())
                .unwrap()
        })
        .collect();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let awaited = tokio.block_on(async {
        let mut values = Vec::new();
        for object in &refs {
            values.push(object.await.unwrap());
        }
        // A ref that resolves later wakes its waiting future.
        let slow = rt
            .submit(fib.parse_call("generate-fibonacci(30000)").unwrap())
            .unwrap();
        values.push(
            tokio::time::timeout(Duration::from_mins(1), slow)
                .await
                .unwrap()
                .unwrap(),
        );
        values
    });
    let expected: Vec<Value> = ["55", "89", "144", "233"]
        .into_iter()
        .map(|s| Value::String(s.into()))
        .chain([Value::U32(30000)])
        .collect();
    assert_eq!(awaited, expected);
    assert_eq!(rt.get(&refs[0], None).unwrap(), Value::String("55".into()));
}

#[test]
fn an_id_written_down_turns_back_into_a_ref_until_the_object_is_freed() {
    let rt = runtime(small());
    let object = rt.put(Value::String("kept".into()));
    let written = object.id().to_bytes();
    let again = rt.lookup(ObjectId::from_bytes(written)).unwrap();
    assert_eq!(rt.get(&again, None).unwrap(), Value::String("kept".into()));
    drop((object, again));
    assert!(matches!(
        rt.lookup(ObjectId::from_bytes(written)),
        Err(GetError::Freed { .. })
    ));
    // An id or ref of another runtime is named as such.
    let other = runtime(small());
    let theirs = other.put(Value::U8(1));
    assert!(matches!(
        rt.lookup(theirs.id()),
        Err(GetError::ForeignStore { .. })
    ));
    let err = rt.get(&theirs, None).unwrap_err();
    assert!(matches!(err, GetError::ForeignStore { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{} was made by another runtime's object store, not this one",
            theirs.id()
        )
    );
}

#[test]
fn past_the_memory_cap_values_spill_to_disk_and_come_back() {
    let spill_root = std::env::temp_dir().join(format!("wask-spill-test-{}", std::process::id()));
    let rt = runtime(RuntimeConfig {
        store: StoreConfig {
            memory_cap_bytes: 1000,
            spill_dir: spill_root.clone(),
        },
        ..small()
    });
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    // Each fib(2000) result is 418 digits: two fit in 1000 bytes, the rest spill.
    let refs: Vec<_> = (0..5)
        .map(|_| rt.submit(fib.parse_call("fib(2000)").unwrap()).unwrap())
        .collect();
    let values = rt.get_all(&refs, None).unwrap();
    assert!(values.iter().all(|v| v == &values[0]));
    let Value::String(digits) = &values[0] else {
        panic!("fib returns a string")
    };
    assert_eq!(digits.len(), 418);
    let spilled = refs.iter().filter(|r| r.is_spilled()).count();
    assert_eq!(spilled, 3, "two in memory, three on disk");
    assert!(rt.store_memory_used() <= 1000);
    let files = || {
        std::fs::read_dir(&spill_root).map_or(0, |dirs| {
            dirs.flatten()
                .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
                .count()
        })
    };
    assert_eq!(files(), 3);
    drop(refs);
    assert_eq!(files(), 0, "a freed spilled value leaves no file");
    assert_eq!(rt.store_memory_used(), 0);
    drop(rt);
    let _ = std::fs::remove_dir_all(&spill_root);
}

#[test]
fn a_failed_value_is_not_spilled_and_options_still_apply() {
    let rt = runtime(RuntimeConfig {
        store: StoreConfig {
            memory_cap_bytes: 0,
            ..StoreConfig::default()
        },
        ..small()
    });
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let options = TaskOptions {
        timeout: Some(Duration::from_millis(10)),
        ..TaskOptions::default()
    };
    let slow = rt
        .call(fib.parse_call("fib(5000000)").unwrap())
        .options(options)
        .submit()
        .unwrap();
    assert!(matches!(
        rt.get(&slow, None),
        Err(GetError::Task {
            error: TaskError::LimitExceeded(_),
            ..
        })
    ));
    assert!(!slow.is_spilled());
    let small_value = rt.submit(fib.parse_call("fib(10)").unwrap()).unwrap();
    assert_eq!(
        rt.get(&small_value, None).unwrap(),
        Value::String("55".into())
    );
    assert!(small_value.is_spilled(), "a cap of 0 spills every value");
}

#[test]
fn ten_megabytes_of_bytes_go_in_and_out_of_a_task_intact() {
    let rt = runtime(small());
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    let data: Vec<u8> = (0..10 << 20).map(|i: u32| (i % 251) as u8).collect();
    let object = rt
        .submit(noop.call("echo", vec![wask::Value::bytes(&data)]).unwrap())
        .unwrap();
    let value = rt.get(&object, None).unwrap();
    assert!(
        matches!(value, Value::Bytes(_)),
        "a list<u8> comes back as bytes"
    );
    assert_eq!(value.to_bytes().unwrap(), data);
    // A list of u8 values given by hand is taken as the same bytes.
    let by_hand = Value::List(data[..1000].iter().map(|b| Value::U8(*b)).collect());
    let object = rt
        .submit(noop.call("echo", vec![by_hand]).unwrap())
        .unwrap();
    assert_eq!(
        rt.get(&object, None).unwrap(),
        wask::Value::bytes(&data[..1000])
    );
}
