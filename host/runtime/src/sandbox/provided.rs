//! The imports this host provides to every component: WASI 0.2 (as
//! `wasmtime_wasi::p2::add_to_linker_sync` defines it) and `wask:runtime/tasks`. `host
//! inspect` marks any other import as missing without compiling the component.

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
    //! The list against the real linker. The names on it are checked by the integration
    //! tests (every guest's imports, real WASI among them, link and are listed as
    //! provided); here, imports not on it must not link.

    use super::host_provides;
    use crate::sandbox::{Sandbox, SandboxConfig};

    /// A component that imports a function `f` of an instance named `name` (or a bare
    /// function `name`) and exports one function.
    fn importing(name: &str, instance: bool) -> Vec<u8> {
        let import = if instance {
            format!(r#"(import "{name}" (instance (export "f" (func))))"#)
        } else {
            format!(r#"(import "{name}" (func))"#)
        };
        wat::parse_str(format!(
            r#"(component
                {import}
                (core module $m (func (export "f") (result i32) i32.const 7))
                (core instance $i (instantiate $m))
                (func (export "seven") (result u32) (canon lift (core func $i "f"))))"#
        ))
        .unwrap()
    }

    #[test]
    fn imports_off_the_list_do_not_link() {
        let sandbox = Sandbox::new(SandboxConfig {
            cache_dir: None,
            max_instances: 4,
            ..SandboxConfig::default()
        })
        .unwrap();
        for (name, instance) in [
            ("wasi:http/outgoing-handler@0.2.0", true),
            ("wasi:keyvalue/store@0.2.0", true),
            ("example:app/log", true),
            ("log", false),
        ] {
            assert!(!host_provides(name), "{name}");
            let component =
                wasmtime::component::Component::new(&sandbox.engine, importing(name, instance))
                    .expect("the test component compiles");
            assert!(
                sandbox.linker.instantiate_pre(&component).is_err(),
                "{name} links"
            );
        }
    }

    #[test]
    fn wasi_is_provided_at_every_0_2_version_only() {
        assert!(host_provides("wasi:cli/stdout@0.2.0"));
        assert!(host_provides("wasi:cli/stdout@0.2.6"));
        assert!(host_provides("wask:runtime/tasks"));
        assert!(!host_provides("wasi:cli/stdout@0.3.0"));
        assert!(!host_provides("wasi:cli/stdout@1.0.0"));
    }
}
