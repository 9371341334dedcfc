//! `open-socket`: a real attempt to open a TCP connection through the wasi:sockets
//! interfaces of WASI 0.2, imported by hand (see `wit/deps/sockets`), since `std::net`
//! cannot link against Debian's wasi-libc.

use std::net::Ipv4Addr;

use crate::wasi::sockets::instance_network::instance_network;
use crate::wasi::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
};
use crate::wasi::sockets::tcp_create_socket::create_tcp_socket;

/// Connects to `host`:`port` over IPv4: instance-network, create-tcp-socket,
/// start-connect, then block on the socket's pollable until finish-connect settles.
/// Returns `ok("connected")`, or `err("<step>: <error-code>")` for the first failure.
pub fn connect_tcp(host: &str, port: u16) -> Result<String, String> {
    let ip: Ipv4Addr = host
        .parse()
        .map_err(|e| format!("parse-address: {host:?} is not an IPv4 address: {e}"))?;
    let [a, b, c, d] = ip.octets();

    let network = instance_network();
    let socket = create_tcp_socket(IpAddressFamily::Ipv4).map_err(failed("create-tcp-socket"))?;
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (a, b, c, d),
    });
    socket
        .start_connect(&network, remote)
        .map_err(failed("start-connect"))?;

    // The pollable is a child of the socket in the host's table: drop it first.
    let pollable = socket.subscribe();
    let connected = loop {
        pollable.block();
        match socket.finish_connect() {
            Err(ErrorCode::WouldBlock) => continue,
            other => break other,
        }
    };
    drop(pollable);
    let (input, output) = connected.map_err(failed("finish-connect"))?;
    drop((input, output));
    drop(socket);
    Ok("connected".to_string())
}

/// Formats an error code from the step that returned it, as `"<step>: <error-code>"`.
fn failed(step: &'static str) -> impl Fn(ErrorCode) -> String {
    move |code| format!("{step}: {}", code.name())
}
