//! A counting TCP relay in front of the IMAP server.
//!
//! Every client under test (Relais, the raw client, mbsync) reaches Dovecot through it, so
//! they pay the same relay cost, and it counts **round trips**: a round trip is a burst of
//! client bytes that follows server bytes on the same connection. After STARTTLS the traffic
//! is encrypted, so tags cannot be read; round trips are what a slow link makes you pay for
//! anyway. Pipelined commands sent before reading count once. The TLS handshake counts too
//! (ClientHello, then Finished); the bench subtracts a connect-and-log-out baseline.
//!
//! It listens on 127.0.0.1 while Dovecot listens on 127.0.0.2: the test certificate names
//! both addresses and `localhost` (mbsync checks a host name, not an IP address).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Default)]
pub struct Counters {
    pub connections: AtomicU64,
    pub round_trips: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    /// Unix milliseconds of the first connection since the last take (0: none).
    pub first_accept_ms: AtomicU64,
}

/// What the relay counted since the last [`Proxy::take`].
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // all counts are kept; the table uses some
pub struct Counted {
    pub connections: u64,
    pub round_trips: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub first_accept_ms: u64,
}

pub struct Proxy {
    pub addr: SocketAddr,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
}

#[derive(PartialEq, Clone, Copy)]
enum Dir {
    None,
    Up,
    Down,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counters.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                c.connections.fetch_add(1, Ordering::Relaxed);
                let _ = c.first_accept_ms.compare_exchange(
                    0,
                    unix_ms(),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                relay(client, server, c.clone());
            }
        });
        Ok(Proxy {
            addr,
            counters,
            stop,
        })
    }

    /// The counts since the last call, and reset.
    pub fn take(&self) -> Counted {
        Counted {
            connections: self.counters.connections.swap(0, Ordering::SeqCst),
            round_trips: self.counters.round_trips.swap(0, Ordering::SeqCst),
            bytes_up: self.counters.bytes_up.swap(0, Ordering::SeqCst),
            bytes_down: self.counters.bytes_down.swap(0, Ordering::SeqCst),
            first_accept_ms: self.counters.first_accept_ms.swap(0, Ordering::SeqCst),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn relay(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let last = Arc::new(Mutex::new(Dir::None));
    let pump = |mut from: TcpStream, mut to: TcpStream, dir: Dir| {
        let last = last.clone();
        let counters = counters.clone();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                {
                    let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                    if dir == Dir::Up {
                        if *last != Dir::Up {
                            counters.round_trips.fetch_add(1, Ordering::SeqCst);
                        }
                        counters.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
                    } else {
                        counters.bytes_down.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    *last = dir;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
            let _ = from.shutdown(Shutdown::Read);
        });
    };
    match (client.try_clone(), server.try_clone()) {
        (Ok(c2), Ok(s2)) => {
            pump(client, server, Dir::Up);
            pump(s2, c2, Dir::Down);
        }
        _ => {
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}

pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
