//! Makes (or finds) what the cluster needs in JetStream: the task stream, the KV
//! buckets, the object stores, and each tenant's consumers. Drivers and workers both
//! call it; every step is idempotent.
//!
//! KV buckets are made as their streams (`KV_<bucket>`) with the settings async-nats
//! would use, then opened: nats-server 2.9's account reply lacks fields the client's
//! `create_key_value` needs, so that call fails there.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, pull};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, kv, object_store};

use crate::ClusterError;
use crate::names;

/// How long a result waits for its driver before it expires.
const RESULT_TTL: Duration = Duration::from_hours(24);
/// How long a worker's heartbeat stays without being renewed.
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(15);

/// The buckets and stores one process uses.
#[derive(Clone)]
pub struct Buckets {
    pub results: kv::Store,
    pub state: kv::Store,
    pub tenants: kv::Store,
    pub workers: kv::Store,
    pub components: object_store::ObjectStore,
    pub values: object_store::ObjectStore,
    pub tasks: stream::Stream,
}

fn nats_error(what: &str) -> impl Fn(&dyn std::fmt::Display) -> ClusterError + '_ {
    move |e| ClusterError::Nats {
        what: what.to_owned(),
        message: e.to_string(),
    }
}

/// Opens (making it if it is missing) a KV bucket whose entries expire after `ttl`.
async fn kv_bucket(
    js: &jetstream::Context,
    bucket: &str,
    ttl: Duration,
) -> Result<kv::Store, ClusterError> {
    let fail = nats_error(bucket);
    stream(
        js,
        stream::Config {
            name: format!("KV_{bucket}"),
            description: Some(String::new()),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            max_age: ttl,
            storage: StorageType::File,
            num_replicas: 1,
            allow_rollup: true,
            deny_delete: true,
            deny_purge: false,
            allow_direct: true,
            discard: DiscardPolicy::New,
            ..Default::default()
        },
    )
    .await?;
    js.get_key_value(bucket).await.map_err(|e| fail(&e))
}

/// Opens a stream, making it if it is missing. Processes starting together on a new
/// server may both find it missing: the one whose creation fails (JetStream says the
/// subjects overlap) opens the one the other made.
async fn stream(
    js: &jetstream::Context,
    config: stream::Config,
) -> Result<stream::Stream, ClusterError> {
    let name = config.name.clone();
    match js.get_or_create_stream(config).await {
        Ok(stream) => Ok(stream),
        Err(e) => js
            .get_stream(&name)
            .await
            .map_err(|_| nats_error(&name)(&e)),
    }
}

async fn object_store(
    js: &jetstream::Context,
    bucket: &str,
) -> Result<object_store::ObjectStore, ClusterError> {
    let fail = nats_error(bucket);
    match js.get_object_store(bucket).await {
        Ok(store) => Ok(store),
        Err(_) => match js
            .create_object_store(object_store::Config {
                bucket: bucket.to_owned(),
                storage: StorageType::File,
                ..Default::default()
            })
            .await
        {
            Ok(store) => Ok(store),
            // Made by another process meanwhile (see `stream`).
            Err(e) => js.get_object_store(bucket).await.map_err(|_| fail(&e)),
        },
    }
}

/// Makes or opens everything the cluster keeps in JetStream.
pub async fn buckets(js: &jetstream::Context) -> Result<Buckets, ClusterError> {
    let tasks = stream(
        js,
        stream::Config {
            name: names::TASKS_STREAM.to_owned(),
            subjects: vec![names::TASKS_SUBJECTS.to_owned()],
            retention: RetentionPolicy::WorkQueue,
            storage: StorageType::File,
            ..Default::default()
        },
    )
    .await?;
    Ok(Buckets {
        results: kv_bucket(js, names::RESULTS_BUCKET, RESULT_TTL).await?,
        state: kv_bucket(js, names::STATE_BUCKET, RESULT_TTL).await?,
        tenants: kv_bucket(js, names::TENANTS_BUCKET, Duration::ZERO).await?,
        workers: kv_bucket(js, names::WORKERS_BUCKET, HEARTBEAT_TTL).await?,
        components: object_store(js, names::COMPONENTS_STORE).await?,
        values: object_store(js, names::VALUES_STORE).await?,
        tasks,
    })
}

/// Settings of a tenant's consumers.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerSettings {
    /// Tasks of the tenant that may be running at once across the cluster.
    pub max_concurrency: i64,
    /// How long a worker may hold a task without a sign of life before it is given to
    /// another worker.
    pub ack_wait: Duration,
}

/// Makes or opens a tenant's consumer of one kind (top-level or nested tasks).
pub async fn consumer(
    tasks: &stream::Stream,
    tenant: &str,
    nested: bool,
    settings: ConsumerSettings,
) -> Result<jetstream::consumer::PullConsumer, ClusterError> {
    let name = names::consumer_name(tenant, nested);
    tasks
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: settings.ack_wait,
                // Redeliveries are counted by the workers, which end a task whose
                // workers were lost too often (a message past max_deliver would stay
                // parked in the work queue for ever).
                max_deliver: -1,
                max_ack_pending: if nested { -1 } else { settings.max_concurrency },
                filter_subject: names::tenant_subjects(tenant, nested),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| nats_error(&name)(&e))
}
