//! Fuzzes loading components through the public path, `wask::Runtime::load`, with the
//! compiled cache off: validation, Cranelift compilation, linking against WASI and
//! `wask:runtime`, and reading every export's signature.
//!
//! Input that starts with the wasm magic (`\0asm`) is loaded as it is: the seed corpus
//! is the project's real guests, which libFuzzer mutates. Any other input drives
//! `wasm-smith` to generate a component, so both broken and valid but odd components
//! are tried. Errors are fine; a panic or an abort is a bug.

#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wask::{Runtime, RuntimeConfig, SandboxConfig};

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    Runtime::new(RuntimeConfig {
        n_workers: 1,
        sandbox: SandboxConfig {
            cache_dir: None,
            max_instances: 1,
            ..SandboxConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .expect("a runtime starts")
});

/// Where this process writes each input for `load` to read: one file, rewritten.
static PATH: LazyLock<PathBuf> =
    LazyLock::new(|| std::env::temp_dir().join(format!("wask-fuzz-{}.wasm", std::process::id())));

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"\0asm") {
        data.to_vec()
    } else {
        let mut u = Unstructured::new(data);
        let Ok(component) = wasm_smith::Component::new(smith_config(), &mut u) else {
            return;
        };
        component.to_bytes()
    };
    std::fs::write(&*PATH, &bytes).expect("the input file is written");
    if let Ok(component) = RUNTIME.load(&PATH) {
        // What `host inspect` prints, and a call's lookup.
        for function in component.functions() {
            let _ = function.signature().to_string();
            let _ = component.find(function.name());
        }
        let _ = (component.exports().list(), component.imports().len());
    }
});

/// Small components, so each compiles in well under a second.
fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        max_components: 2,
        max_instances: 4,
        max_funcs: 8,
        max_type_size: 200,
        ..wasm_smith::Config::default()
    }
}
