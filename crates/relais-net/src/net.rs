//! Opening TCP connections.

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::NetError;

/// How to open a connection.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Connect, read and write timeout.
    pub timeout: Duration,
    /// Local address to connect from (default: chosen by the system).
    pub source: Option<IpAddr>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Duration::from_secs(30),
            source: None,
        }
    }
}

pub(crate) fn open_tcp(
    host: &str,
    port: u16,
    options: &ConnectOptions,
) -> Result<TcpStream, NetError> {
    let server = format!("{host}:{port}");
    let unreachable = |detail: String| NetError::Unreachable {
        server: server.clone(),
        detail,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("adresse introuvable ({e})")))?
        .collect();
    let mut last = String::from("aucune adresse");
    for addr in addrs {
        let socket = match socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        ) {
            Ok(s) => s,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        if let Some(ip) = options.source {
            if let Err(e) = socket.bind(&SocketAddr::new(ip, 0).into()) {
                last = e.to_string();
                continue;
            }
        }
        match socket.connect_timeout(&addr.into(), options.timeout) {
            Ok(()) => {
                let tcp: TcpStream = socket.into();
                let _ = tcp.set_nodelay(true);
                tcp.set_read_timeout(Some(options.timeout))
                    .and_then(|_| tcp.set_write_timeout(Some(options.timeout)))
                    .map_err(|e| unreachable(e.to_string()))?;
                return Ok(tcp);
            }
            Err(e) => last = french_io(&e),
        }
    }
    Err(unreachable(last))
}

fn french_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connexion refusée".into(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            "pas de réponse (délai dépassé)".into()
        }
        _ => e.to_string(),
    }
}
