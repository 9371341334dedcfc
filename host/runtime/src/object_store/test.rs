//! Unit tests of the object store: resolution, timeouts and `wait`.

use std::time::Duration;

use std::sync::Arc;

use super::{Account, ObjectRef, ObjectStore};
use wask_core::{GetError, TaskError, TaskOutput, TenantId, Value};

fn tenant() -> TenantId {
    TenantId::new("t")
}

fn account() -> Arc<Account> {
    Arc::new(Account::new(usize::MAX))
}

fn output(value: Value) -> TaskOutput {
    TaskOutput {
        value,
        stdout: Vec::new(),
        stderr: Vec::new(),
    }
}

fn put(store: &ObjectStore, value: Value) -> ObjectRef {
    store.put(&tenant(), &account(), value)
}

#[test]
fn put_is_ready_at_once() {
    let store = ObjectStore::default();
    let object = put(&store, Value::U32(7));
    assert!(object.is_ready());
    assert_eq!(store.get(&object, None).unwrap().value, Value::U32(7));
}

#[test]
fn get_times_out_on_a_pending_object() {
    let store = ObjectStore::default();
    let (object, _completer) = store.pending(&tenant(), &account(), None, None);
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
    let store = ObjectStore::default();
    let (object, completer) = store.pending(&tenant(), &account(), None, None);
    let resolver =
        std::thread::spawn(move || completer.resolve(Ok(output(Value::String("done".into())))));
    assert_eq!(
        store.get(&object, None).unwrap().value,
        Value::String("done".into())
    );
    resolver.join().unwrap();
}

#[test]
fn an_error_stays_with_its_own_ref() {
    let store = ObjectStore::default();
    let (failed, completer) = store.pending(&tenant(), &account(), None, None);
    completer.resolve(Err(TaskError::Trap {
        message: "boom".into(),
        panic: None,
        stderr: String::new(),
    }));
    let fine = put(&store, Value::Bool(true));
    assert!(matches!(
        store.get(&failed, None),
        Err(GetError::Task { .. })
    ));
    assert_eq!(store.get(&fine, None).unwrap().value, Value::Bool(true));
}

#[test]
fn a_dropped_completer_resolves_to_shutdown() {
    let store = ObjectStore::default();
    let (object, completer) = store.pending(&tenant(), &account(), None, None);
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
    let store = ObjectStore::default();
    let a = put(&store, Value::U8(1));
    let (b, _b_completer) = store.pending(&tenant(), &account(), None, None);
    let c = put(&store, Value::U8(3));
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
    let store = ObjectStore::default();
    let (a, a_completer) = store.pending(&tenant(), &account(), None, None);
    let (b, _b_completer) = store.pending(&tenant(), &account(), None, None);
    let resolver = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        a_completer.resolve(Ok(output(Value::U8(1))));
    });
    let (ready, pending) = store.wait(&[a.clone(), b.clone()], 1, None).unwrap();
    assert_eq!(ids(&ready), ids(&[a]));
    assert_eq!(ids(&pending), ids(&[b]));
    resolver.join().unwrap();
}

#[test]
fn wait_rejects_more_returns_than_refs() {
    let store = ObjectStore::default();
    let a = put(&store, Value::U8(1));
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

#[test]
fn a_value_is_charged_to_its_quota_and_freed_with_its_last_ref() {
    let store = ObjectStore::default();
    let account = Arc::new(Account::new(100));
    let a = store.put(&tenant(), &account, Value::String("x".repeat(60)));
    assert_eq!(account.used(), 60);
    let a_clone = a.clone();
    let b = store.put(&tenant(), &account, Value::String("y".repeat(60)));
    match store.get(&b, None) {
        Err(GetError::Task {
            error:
                TaskError::QuotaExceeded {
                    needed: 60,
                    used: 60,
                    quota: 100,
                },
            ..
        }) => {}
        other => panic!("expected the quota to refuse the value, got {other:?}"),
    }
    drop(a);
    assert_eq!(account.used(), 60, "a clone still holds the value");
    drop(a_clone);
    assert_eq!(account.used(), 0, "the last ref frees the value");
    let c = store.put(&tenant(), &account, Value::String("z".repeat(60)));
    assert!(store.get(&c, None).is_ok());
}

#[test]
fn another_tenant_is_not_the_owner() {
    let store = ObjectStore::default();
    let object = put(&store, Value::U8(1));
    assert!(object.check_owner(&tenant()).is_ok());
    assert_eq!(
        object
            .check_owner(&TenantId::new("other"))
            .unwrap_err()
            .to_string(),
        format!(
            "{} belongs to tenant `t`, not to tenant `other`",
            object.id()
        )
    );
}
