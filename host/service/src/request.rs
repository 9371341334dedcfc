//! Task requests: decoded from JSON, then checked whole into a [`CheckedTask`] before
//! anything touches the runtime.
//!
//! A call is given either as WAVE text (`"call": "fib(100)"`) or as a function name
//! with JSON-typed arguments (`"function": "fib", "args": [100]`), where an argument
//! may also be `{"$ref": "ID"}`: the result of an earlier task (or an object) of the
//! same tenant, passed without coming back. (WIT names never begin with `$`, so no
//! record is mistaken for a ref.) Options are checked against the tenant's caps: a
//! call may lower its limits, never raise them.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value as Json;
use wask::{Arg, Call, TaskComponent, TaskOptions};
use wask_core::{Limits, Signature, Value, format_bytes};

use crate::error::ApiError;
use crate::ids::{Digest, parse_component_id, parse_object_id};
use crate::registry::Entry;
use crate::state::TenantEntry;
use crate::tenants::TenantSpec;
use crate::tracker::lock;
use crate::units::{Dur, Size, shorten};

/// One call, as a request gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// The component's content id (`sha256:…`); in a batch, the batch's by default.
    pub component: Option<String>,
    /// The call in WAVE, such as `fib(100)`.
    pub call: Option<String>,
    /// The function's name, with `args`.
    pub function: Option<String>,
    pub args: Option<Vec<Json>>,
    pub timeout: Option<Dur>,
    pub max_retries: Option<u32>,
    pub priority: Option<i32>,
    pub limits: Option<LimitsRequest>,
    /// Answer once the task has finished, or after this long (single calls only).
    pub wait: Option<Dur>,
}

/// Limits a call asks for, each at most the tenant's.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    pub timeout: Option<Dur>,
    pub fuel: Option<u64>,
    pub max_memory: Option<Size>,
    pub max_table_elements: Option<usize>,
    pub max_instances: Option<usize>,
    pub max_result: Option<Size>,
    pub max_output: Option<Size>,
}

/// Many calls at once, submitted all or none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The component of every call that names none.
    pub component: Option<String>,
    pub tasks: Vec<TaskRequest>,
}

/// What a call runs.
#[derive(Debug)]
pub enum Target {
    /// A WAVE call, checked by the component.
    Call(Call),
    /// A function and its arguments, values checked and refs typed.
    Task { function: String, args: Vec<Arg> },
}

/// A call checked whole: it will be queued as it is.
#[derive(Debug)]
pub struct CheckedTask {
    pub component: TaskComponent,
    pub digest: Digest,
    pub function: Arc<str>,
    pub target: Target,
    pub options: TaskOptions,
}

impl CheckedTask {
    /// Queues the task for `tenant`; its ref comes back at once.
    pub fn submit(self, tenant: &wask::Tenant) -> Result<wask::ObjectRef, ApiError> {
        let builder = match self.target {
            Target::Call(call) => tenant.call(call),
            Target::Task { function, args } => tenant.task(&self.component, &function).args(args),
        };
        builder
            .options(self.options)
            .submit()
            .map_err(|e| ApiError::bad_request("invalid_call", e.to_string()))
    }
}

/// Decodes a JSON body into `T`, naming what was wrong.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not {what}: {e}")))
}

/// Checks one call of `tenant` (see the module docs); `default_component` is a
/// batch's.
pub fn check(
    tenant: &TenantEntry,
    spec: &TenantSpec,
    fuel_metered: bool,
    request: TaskRequest,
    default_component: Option<&str>,
) -> Result<CheckedTask, ApiError> {
    let component_text = request
        .component
        .as_deref()
        .or(default_component)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_call",
                "`component` is missing: give the content id (sha256:…) of a component you uploaded",
            )
        })?;
    let digest = parse_component_id(component_text).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_id",
            format!(
                "`component` is `{}`, expected `sha256:` and 64 hex digits, as uploading gave",
                shorten(component_text)
            ),
        )
    })?;
    let owned = tenant
        .components
        .get(&digest)
        .ok_or_else(|| ApiError::not_found("component", component_text))?;
    let component = owned.component;
    let options = options(spec, fuel_metered, &request)?;
    let (function, target) = match (request.call, request.function) {
        (Some(call), None) => {
            if request.args.is_some() {
                return Err(ApiError::bad_request(
                    "invalid_call",
                    "`args` goes with `function`, not with `call`: a WAVE call carries its own arguments",
                ));
            }
            let call = component
                .parse_call(&call)
                .map_err(|e| ApiError::bad_request("invalid_call", e.to_string()))?;
            (Arc::from(call.function().name()), Target::Call(call))
        }
        (None, Some(function)) => {
            let index = component
                .find(&function)
                .map_err(|e| ApiError::bad_request("invalid_call", e.to_string()))?;
            let signature = component.exports().function(index);
            let args = check_args(
                tenant,
                signature,
                request.args.as_deref().unwrap_or_default(),
            )?;
            (
                Arc::from(signature.name()),
                Target::Task {
                    function: signature.name().to_owned(),
                    args,
                },
            )
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_call",
                "give either `call` (WAVE text) or `function` with `args`, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "invalid_call",
                "the call is missing: give `call` (WAVE text such as \"fib(100)\") or `function` with `args`",
            ));
        }
    };
    Ok(CheckedTask {
        component,
        digest,
        function,
        target,
        options,
    })
}

/// Reads JSON arguments against the signature's parameter types; `{"$ref": ID}`
/// names one of the tenant's objects.
fn check_args(
    tenant: &TenantEntry,
    signature: &Signature,
    args: &[Json],
) -> Result<Vec<Arg>, ApiError> {
    let invalid =
        |e: wask_core::CallError| ApiError::bad_request("invalid_argument", e.to_string());
    if args.len() != signature.params().len() {
        return Err(invalid(signature.arity_error(args.len())));
    }
    let mut checked = Vec::with_capacity(args.len());
    for (position, (json, (param, ty))) in args.iter().zip(signature.params()).enumerate() {
        let place = || {
            format!(
                "argument {} (`{param}`) of `{}`",
                position + 1,
                signature.name()
            )
        };
        if let Some(id) = ref_id(json) {
            let entry = find_entry(tenant, id)
                .ok_or_else(|| ApiError::not_found("task or object", id).within(&place()))?;
            check_ref(tenant, signature, position, &entry).map_err(invalid)?;
            checked.push(Arg::Ref(entry.object.clone()));
        } else {
            let value = Value::from_json(json, ty).map_err(|problem| {
                ApiError::bad_request("invalid_argument", format!("{}: {problem}", place()))
            })?;
            checked.push(Arg::Value(value));
        }
    }
    Ok(checked)
}

/// The id in `{"$ref": "ID"}`, if that is what `json` is.
fn ref_id(json: &Json) -> Option<&str> {
    match json {
        Json::Object(map) if map.len() == 1 => map.get("$ref").and_then(Json::as_str),
        _ => None,
    }
}

/// The tenant's own entry of an id; `None` for an id that is malformed, unknown,
/// forgotten or another tenant's alike.
pub fn find_entry(tenant: &TenantEntry, id: &str) -> Option<Arc<Entry>> {
    let id = parse_object_id(id)?;
    lock(&tenant.track.tasks).get(id)
}

/// Checks a ref's type against its parameter: by the WIT result type of the task
/// producing it, or by the value of an object that is ready.
fn check_ref(
    tenant: &TenantEntry,
    signature: &Signature,
    position: usize,
    entry: &Entry,
) -> Result<(), wask_core::CallError> {
    if let Some(ty) = entry.object.value_type() {
        return signature.check_arg_type(position, ty);
    }
    match tenant.handle.get(&entry.object, Some(Duration::ZERO)) {
        Ok(value) => signature.check_arg(position, &value),
        // Pending or failed: the value, or the failure, decides when it is ready.
        Err(_) => Ok(()),
    }
}

/// The task's options from the request, within the tenant's caps.
fn options(
    spec: &TenantSpec,
    fuel_metered: bool,
    request: &TaskRequest,
) -> Result<TaskOptions, ApiError> {
    let mut limits = spec.limits;
    let asked = request.limits.as_ref();
    let timeout = request
        .timeout
        .or_else(|| asked.and_then(|l| l.timeout))
        .map(|d| d.0);
    if let Some(t) = timeout {
        if t.is_zero() {
            return Err(option_error("timeout must be more than 0"));
        }
        if let Some(cap) = spec.limits.deadline
            && t > cap
        {
            return Err(option_error(format!(
                "timeout {:.3} s is more than tenant `{}`'s cap of {:.3} s",
                t.as_secs_f64(),
                spec.id,
                cap.as_secs_f64()
            )));
        }
        limits.deadline = Some(t);
    }
    if let Some(asked) = asked {
        apply_limits(spec, fuel_metered, asked, &mut limits)?;
    }
    let max_retries = request.max_retries.unwrap_or(0);
    if max_retries > spec.max_retries {
        return Err(option_error(format!(
            "max_retries {max_retries} is more than tenant `{}`'s cap of {}",
            spec.id, spec.max_retries
        )));
    }
    Ok(TaskOptions {
        limits: Some(limits),
        timeout: None,
        max_retries,
        priority: request.priority.unwrap_or(spec.priority),
        memo: false,
    })
}

fn option_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_option", message)
}

/// Lowers `limits` to what the call asks for, refusing anything above the tenant's.
fn apply_limits(
    spec: &TenantSpec,
    fuel_metered: bool,
    asked: &LimitsRequest,
    limits: &mut Limits,
) -> Result<(), ApiError> {
    let cap = spec.limits;
    let bytes = |what: &str, asked: Size, cap: usize| -> Result<usize, ApiError> {
        let asked = usize::try_from(asked.0).unwrap_or(usize::MAX);
        if asked > cap {
            Err(option_error(format!(
                "limits.{what} {} is more than tenant `{}`'s cap of {}",
                format_bytes(asked as u64),
                spec.id,
                format_bytes(cap as u64)
            )))
        } else {
            Ok(asked)
        }
    };
    let count = |what: &str, asked: usize, cap: usize| -> Result<usize, ApiError> {
        if asked > cap {
            Err(option_error(format!(
                "limits.{what} {asked} is more than tenant `{}`'s cap of {cap}",
                spec.id
            )))
        } else {
            Ok(asked)
        }
    };
    if let Some(s) = asked.max_memory {
        limits.max_memory_bytes = bytes("max_memory", s, cap.max_memory_bytes)?;
    }
    if let Some(s) = asked.max_result {
        limits.max_result_bytes = bytes("max_result", s, cap.max_result_bytes)?;
    }
    if let Some(s) = asked.max_output {
        limits.max_stdout_bytes = bytes("max_output", s, cap.max_stdout_bytes)?;
        limits.max_stderr_bytes = bytes("max_output", s, cap.max_stderr_bytes)?;
    }
    if let Some(n) = asked.max_table_elements {
        limits.max_table_elements = count("max_table_elements", n, cap.max_table_elements)?;
    }
    if let Some(n) = asked.max_instances {
        limits.max_instances = count("max_instances", n, cap.max_instances)?;
    }
    if let Some(fuel) = asked.fuel {
        if !fuel_metered {
            return Err(option_error(
                "limits.fuel: this service meters no fuel (no tenant has a fuel limit in the tenants file)",
            ));
        }
        if let Some(cap) = cap.fuel
            && fuel > cap
        {
            return Err(option_error(format!(
                "limits.fuel {fuel} is more than tenant `{}`'s cap of {cap}",
                spec.id
            )));
        }
        limits.fuel = Some(fuel);
    }
    Ok(())
}
