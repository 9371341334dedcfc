//! Unit tests of the object store: resolution, timeouts and `wait`.

use std::time::Duration;

use super::ObjectStore;
use crate::error::{GetError, TaskError};
use crate::sandbox::Value;

#[test]
fn put_is_ready_at_once() {
    let store = ObjectStore::new();
    let object = store.put(Value::U32(7));
    assert!(object.is_ready());
    assert_eq!(*store.get(&object, None).unwrap(), Value::U32(7));
}

#[test]
fn get_times_out_on_a_pending_object() {
    let store = ObjectStore::new();
    let (object, _completer) = store.pending();
    let err = store
        .get(&object, Some(Duration::from_millis(20)))
        .unwrap_err();
    assert_eq!(
        err,
        GetError::Timeout {
            id: object.id(),
            timeout: Duration::from_millis(20)
        }
    );
}

#[test]
fn get_wakes_when_another_thread_resolves() {
    let store = ObjectStore::new();
    let (object, completer) = store.pending();
    let resolver = std::thread::spawn(move || completer.resolve(Ok(Value::String("done".into()))));
    assert_eq!(
        *store.get(&object, None).unwrap(),
        Value::String("done".into())
    );
    resolver.join().unwrap();
}

#[test]
fn an_error_stays_with_its_own_ref() {
    let store = ObjectStore::new();
    let (failed, completer) = store.pending();
    completer.resolve(Err(TaskError::Trap {
        message: "boom".into(),
        panic: None,
        stderr: String::new(),
    }));
    let fine = store.put(Value::Bool(true));
    assert!(matches!(
        store.get(&failed, None),
        Err(GetError::Task { .. })
    ));
    assert_eq!(*store.get(&fine, None).unwrap(), Value::Bool(true));
}

#[test]
fn a_dropped_completer_resolves_to_shutdown() {
    let store = ObjectStore::new();
    let (object, completer) = store.pending();
    drop(completer);
    assert_eq!(
        store.get(&object, None).unwrap_err(),
        GetError::Task {
            id: object.id(),
            error: TaskError::Shutdown
        }
    );
}

#[test]
fn wait_splits_ready_and_pending_in_order() {
    let store = ObjectStore::new();
    let a = store.put(Value::U8(1));
    let (b, _b_completer) = store.pending();
    let c = store.put(Value::U8(3));
    let refs = [a.clone(), b.clone(), c.clone()];
    let (ready, pending) = store.wait(&refs, 1, None).unwrap();
    assert_eq!(ids(&ready), ids(std::slice::from_ref(&a)));
    assert_eq!(ids(&pending), ids(&[b.clone(), c.clone()]));
    let (ready, pending) = store
        .wait(&refs, 3, Some(Duration::from_millis(20)))
        .unwrap();
    assert_eq!(ids(&ready), ids(&[a, c]));
    assert_eq!(ids(&pending), ids(&[b]));
}

#[test]
fn wait_returns_when_enough_resolve_later() {
    let store = ObjectStore::new();
    let (a, a_completer) = store.pending();
    let (b, _b_completer) = store.pending();
    let resolver = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        a_completer.resolve(Ok(Value::U8(1)));
    });
    let (ready, pending) = store.wait(&[a.clone(), b.clone()], 1, None).unwrap();
    assert_eq!(ids(&ready), ids(&[a]));
    assert_eq!(ids(&pending), ids(&[b]));
    resolver.join().unwrap();
}

#[test]
fn wait_rejects_more_returns_than_refs() {
    let store = ObjectStore::new();
    let a = store.put(Value::U8(1));
    assert_eq!(
        store.wait(&[a], 2, None).unwrap_err(),
        GetError::NumReturns {
            num_returns: 2,
            n_refs: 1
        }
    );
}

fn ids(refs: &[super::ObjectRef]) -> Vec<u64> {
    refs.iter().map(|r| r.id().as_u64()).collect()
}
