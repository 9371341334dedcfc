//! The imports this host provides to every component: WASI 0.2 (as
//! `wasmtime_wasi::p2::add_to_linker_sync` defines it) and `wask:runtime/tasks`. `host
//! inspect` marks any other import as missing without compiling the component; a test
//! checks this list against the real linker.

/// Interfaces the linker defines, without their `@version`.
const PROVIDED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
    "wask:runtime/tasks",
];

/// Whether this host provides an import, named as a component names it
/// (`wasi:cli/stdout@0.2.6`). WASI is provided at every 0.2 version, as wasmtime's
/// linker matches semver-compatible versions; a bare function import never is.
pub fn host_provides(import: &str) -> bool {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    let compatible = version.is_empty() || version == "0.2" || version.starts_with("0.2.");
    compatible && PROVIDED.contains(&name)
}

#[cfg(test)]
mod test {
    //! The list against the real linker: each name it has links, and others do not.

    use super::{PROVIDED, host_provides};
    use crate::sandbox::{Sandbox, SandboxConfig};

    /// A component that imports an empty instance under `name` and exports one function.
    fn importing(name: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
                (import "{name}" (instance))
                (core module $m (func (export "f") (result i32) i32.const 7))
                (core instance $i (instantiate $m))
                (func (export "seven") (result u32) (canon lift (core func $i "f"))))"#
        ))
        .unwrap()
    }

    fn links(sandbox: &Sandbox, name: &str) -> bool {
        let component = wasmtime::component::Component::new(&sandbox.engine, importing(name))
            .expect("the test component compiles");
        sandbox.linker.instantiate_pre(&component).is_ok()
    }

    #[test]
    fn the_list_is_what_the_linker_defines() {
        let sandbox = Sandbox::new(SandboxConfig {
            cache_dir: None,
            max_instances: 4,
            ..SandboxConfig::default()
        })
        .unwrap();
        for name in PROVIDED {
            let versioned = if name.starts_with("wasi:") {
                format!("{name}@0.2.0")
            } else {
                (*name).to_owned()
            };
            assert!(host_provides(&versioned), "{versioned}");
            assert!(links(&sandbox, &versioned), "{versioned} should link");
        }
        for name in [
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:keyvalue/store@0.2.0",
            "example:app/log",
        ] {
            assert!(!host_provides(name), "{name}");
            assert!(!links(&sandbox, name), "{name} should not link");
        }
    }
}
