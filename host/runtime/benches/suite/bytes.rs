//! Bytes through several signatures: each shape's call timed on plain wasmtime's
//! `TypedFunc` (the anchor), on Wask's bulk path and on Wask's generic path, with the
//! peak host memory each Wask path adds over the value's own size.
//!
//! Peak memory is the process's `VmHWM` after a reset through `/proc/self/clear_refs`,
//! less the resident size just before the call (the input already built), so it
//! counts what the call itself adds: guest memory, copies and any per-element values.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, ensure};
use serde_json::{Value as Json, json};
use wask::{Runtime, RuntimeConfig, TaskComponent, Value};
use wasmtime::component::{ComponentType, Lift, Lower, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::{Sizes, load, log, median};

/// The size of each shape's bytes: the "10 MB" of the issue.
const BYTES: usize = 10 << 20;

/// `record blob { name: string, data: list<u8> }` of the shapes guest.
#[derive(ComponentType, Lift, Lower, PartialEq, Debug)]
#[component(record)]
struct Blob {
    name: String,
    data: Vec<u8>,
}

/// One signature: the export, Wask's arguments, and the check of its result.
struct Shape {
    /// The row's name: the WIT signature.
    name: &'static str,
    export: &'static str,
    args: fn(&[u8]) -> Vec<Value>,
    check: fn(&Value, &[u8]) -> bool,
    /// The same call on plain wasmtime, timed from a fresh store to the result.
    typed: fn(&mut Anchor, &[u8]) -> anyhow::Result<f64>,
}

fn input(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

/// The prefix `strip-prefix` takes off: `data` with its first bytes replaced by it.
const PREFIX: &str = "head";

fn prefixed(data: &[u8]) -> Vec<u8> {
    [PREFIX.as_bytes(), &data[PREFIX.len()..]].concat()
}

fn text(data: &[u8]) -> String {
    data.iter().map(|b| char::from(b'a' + b % 26)).collect()
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "list<u8> -> u64",
            export: "byte-count",
            args: |data| vec![Value::bytes(data)],
            check: |out, data| *out == Value::U64(data.len() as u64),
            typed: |a, data| {
                a.call::<(&[u8],), (u64,)>("byte-count", (data,), |(n,)| n == data.len() as u64)
            },
        },
        Shape {
            name: "string -> u32",
            export: "string-len",
            args: |data| vec![Value::String(text(data))],
            check: |out, data| *out == Value::U32(data.len() as u32),
            typed: |a, data| {
                let s = text(data);
                a.call::<(&str,), (u32,)>("string-len", (&s,), |(n,)| n as usize == data.len())
            },
        },
        Shape {
            name: "record { name: string, data: list<u8> } -> same",
            export: "echo-blob",
            args: |data| {
                vec![Value::Record(vec![
                    ("name".into(), Value::String("blob".into())),
                    ("data".into(), Value::bytes(data)),
                ])]
            },
            check: |out, data| match out {
                Value::Record(fields) => {
                    matches!(fields.get(1), Some((_, Value::Bytes(b))) if **b == *data)
                }
                _ => false,
            },
            typed: |a, data| {
                let blob = Blob {
                    name: "blob".into(),
                    data: data.to_vec(),
                };
                a.call::<(&Blob,), (Blob,)>("echo-blob", (&blob,), |(out,)| out == blob)
            },
        },
        Shape {
            name: "(list<u8>, string) -> result<list<u8>, string>",
            export: "strip-prefix",
            args: |data| vec![Value::bytes(&prefixed(data)), Value::String(PREFIX.into())],
            check: |out, data| match out {
                Value::Result(Ok(Some(v))) => matches!(&**v, Value::Bytes(b) if **b == data[4..]),
                _ => false,
            },
            typed: |a, data| {
                let input = prefixed(data);
                a.call::<(&[u8], &str), (Result<Vec<u8>, String>,)>(
                    "strip-prefix",
                    (&input, PREFIX),
                    |(out,)| out.is_ok_and(|b| b == data[4..]),
                )
            },
        },
        Shape {
            name: "u32 -> list<u8>",
            export: "make-bytes",
            args: |data| vec![Value::U32(data.len() as u32)],
            check: |out, data| matches!(out, Value::Bytes(b) if b.len() == data.len()),
            typed: |a, data| {
                a.call::<(u32,), (Vec<u8>,)>("make-bytes", (data.len() as u32,), |(b,)| {
                    b.len() == data.len()
                })
            },
        },
    ]
}

/// Plain wasmtime with the shapes guest: `super::anchor`'s engine, and a linker with
/// WASI (the guest imports it; the calls measured never use it).
struct Anchor {
    engine: wasmtime::Engine,
    pre: wasmtime::component::InstancePre<Wasi>,
}

/// Per-store WASI state of the anchor.
struct Wasi {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl Anchor {
    fn new(wasm: &Path) -> anyhow::Result<Self> {
        let engine = super::anchor::engine()?;
        let component = wasmtime::component::Component::from_file(&engine, wasm)?;
        let mut linker = wasmtime::component::Linker::<Wasi>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        let pre = linker.instantiate_pre(&component)?;
        Ok(Anchor { engine, pre })
    }

    /// One typed call in a fresh store; its time, once `ok` accepts the result.
    fn call<P, R>(
        &mut self,
        name: &str,
        params: P,
        ok: impl FnOnce(R) -> bool,
    ) -> anyhow::Result<f64>
    where
        P: wasmtime::component::ComponentNamedList + Lower,
        R: wasmtime::component::ComponentNamedList + Lift + 'static,
    {
        let started = Instant::now();
        let mut store = wasmtime::Store::new(
            &self.engine,
            Wasi {
                ctx: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        let instance = self.pre.instantiate(&mut store)?;
        let f = instance.get_typed_func::<P, R>(&mut store, name)?;
        let out = f.call(&mut store, params)?;
        drop(store);
        let elapsed = started.elapsed().as_secs_f64();
        ensure!(ok(out), "typed {name} returned another value");
        Ok(elapsed)
    }
}

/// The process's resident size and its high-water mark, in bytes.
fn memory() -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name} in /proc/self/status"))?;
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .context("a /proc/self/status line without a number")?
            .parse()?;
        Ok(kib * 1024)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// One Wask call: its time, the wasm call's own (lowering and lifting included) and
/// the peak memory it added, in bytes.
fn wask_call(
    runtime: &Runtime,
    component: &TaskComponent,
    shape: &Shape,
    data: &[u8],
) -> anyhow::Result<(f64, f64, u64)> {
    let args = (shape.args)(data);
    // Resets VmHWM to the current resident size (Linux 4.0 and later).
    std::fs::write("/proc/self/clear_refs", "5")?;
    let (before, _) = memory()?;
    runtime.start_timeline();
    let started = Instant::now();
    let call = component.call(shape.export, args)?;
    let out = runtime.get(&runtime.submit(call)?, None)?;
    let elapsed = started.elapsed().as_secs_f64();
    let (_, peak) = memory()?;
    let timeline = runtime.take_timeline();
    ensure!(
        (shape.check)(&out, data),
        "{} returned another value",
        shape.export
    );
    let call_s = timeline
        .spans
        .iter()
        .find_map(|span| Some((span.returned? - span.instantiated?).as_secs_f64()))
        .unwrap_or(f64::NAN);
    Ok((elapsed, call_s, peak.saturating_sub(before)))
}

/// Each path's median time and largest added memory over `repeats` calls, after one
/// unmeasured call.
fn wask_path(
    runtime: &Runtime,
    component: &TaskComponent,
    shape: &Shape,
    data: &[u8],
    repeats: usize,
) -> Json {
    let mut times = Vec::new();
    let mut calls = Vec::new();
    let mut peak = 0;
    for i in 0..=repeats {
        match wask_call(runtime, component, shape, data) {
            Ok((t, c, p)) if i > 0 => {
                times.push(t);
                calls.push(c);
                peak = peak.max(p);
            }
            Ok(_) => {}
            Err(e) => return json!({ "error": format!("{e:#}") }),
        }
    }
    json!({
        "p50_s": median(&times),
        "call_p50_s": median(&calls),
        "peak_added_bytes": peak,
        "peak_over_value": peak as f64 / BYTES as f64,
    })
}

fn runtime(bulk_path: bool) -> anyhow::Result<Runtime> {
    let mut config = RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    };
    config.sandbox.cache_dir = None;
    config.sandbox.bulk_path = bulk_path;
    Ok(Runtime::new(config)?)
}

/// The figures of every shape, as a JSON list.
pub fn shapes_figures(wasm: &Path, sizes: &Sizes) -> anyhow::Result<Json> {
    let mut anchor = Anchor::new(wasm)?;
    let bulk = runtime(true)?;
    let generic = runtime(false)?;
    let on_bulk = load(&bulk, wasm)?;
    let on_generic = load(&generic, wasm)?;
    let data = input(BYTES);
    let mut rows = Vec::new();
    for shape in shapes() {
        let mut typed = Vec::new();
        for i in 0..=sizes.echo_typed_repeats {
            let t = (shape.typed)(&mut anchor, &data)?;
            if i > 0 {
                typed.push(t);
            }
        }
        let typed_p50 = median(&typed);
        let b = wask_path(&bulk, &on_bulk, &shape, &data, sizes.echo_typed_repeats);
        let g = wask_path(
            &generic,
            &on_generic,
            &shape,
            &data,
            sizes.echo_generic_repeats,
        );
        let ratio = |path: &Json| path["p50_s"].as_f64().map(|p| p / typed_p50);
        log(format!(
            "bytes {}: typed {:.2} ms; bulk {:.2} ms (call {:.2} ms, memory {:.2}×); \
             generic {:.2} ms (memory {:.2}×)",
            shape.name,
            typed_p50 * 1e3,
            b["p50_s"].as_f64().unwrap_or(f64::NAN) * 1e3,
            b["call_p50_s"].as_f64().unwrap_or(f64::NAN) * 1e3,
            b["peak_over_value"].as_f64().unwrap_or(f64::NAN),
            g["p50_s"].as_f64().unwrap_or(f64::NAN) * 1e3,
            g["peak_over_value"].as_f64().unwrap_or(f64::NAN),
        ));
        rows.push(json!({
            "shape": shape.name,
            "bytes": BYTES,
            "typed_p50_s": typed_p50,
            "ratio_bulk_over_typed": ratio(&b),
            "ratio_generic_over_typed": ratio(&g),
            "bulk": b,
            "generic": g,
        }));
    }
    Ok(Json::Array(rows))
}
