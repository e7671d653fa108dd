//! A counting TCP relay in front of a server, optionally a distant one.
//!
//! Every client under test (Relais, the raw client, mbsync, swaks) reaches Dovecot through a
//! relay, so they pay the same relay cost, and it counts **round trips**: a round trip is a
//! burst of client bytes that follows server bytes on the same connection. After STARTTLS the
//! traffic is encrypted, so tags cannot be read; round trips are what a slow link makes you
//! pay for anyway. Pipelined commands sent before reading count once. The TLS handshake counts
//! too (ClientHello, then Finished): the counts are whole sessions, connection included.
//!
//! **Delay.** This kernel has no `netem`, so a link with a round-trip time is simulated here:
//! with a one-way delay `d`, each chunk read from one side is stamped `arrival + d` and put in
//! that direction's queue; a writer thread per direction sends each chunk when its time comes.
//! Reading never waits for writing, so chunks in flight overlap as on a real link (a pipelined
//! stream pays the delay once, not once per chunk) and the byte order is kept. Not simulated:
//! bandwidth and loss (the link is as fast as loopback once the delay is paid).
//!
//! It listens on 127.0.0.1 while Dovecot listens on 127.0.0.2: the test certificate names
//! both addresses and `localhost` (mbsync checks a host name, not an IP address).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

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
    /// A relay to `upstream` that holds every chunk for `one_way` in each direction (zero: a
    /// plain counting relay).
    pub fn start(upstream: SocketAddr, one_way: Duration) -> std::io::Result<Proxy> {
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
                c.connections.fetch_add(1, Ordering::Relaxed);
                let _ = c.first_accept_ms.compare_exchange(
                    0,
                    unix_ms(),
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                );
                let c = c.clone();
                thread::spawn(move || {
                    // The TCP handshake of a distant link: SYN, SYN-ACK, then the ACK reaches
                    // the server 3 one-way delays after the client's connect, and its greeting
                    // one more later (2 round trips), as on a real link. (Here the client's
                    // connect returns at once; the greeting is what it waits for.)
                    thread::sleep(one_way * 3);
                    let Ok(server) = TcpStream::connect(upstream) else {
                        let _ = client.shutdown(Shutdown::Both);
                        return;
                    };
                    relay(client, server, c, one_way);
                });
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

/// Where one direction's bytes go: straight on, or into the delay queue.
enum Out {
    Direct(TcpStream),
    Queue(std::sync::mpsc::Sender<(Instant, Vec<u8>)>),
}

fn relay(client: TcpStream, server: TcpStream, counters: Arc<Counters>, one_way: Duration) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let last = Arc::new(Mutex::new(Dir::None));
    let pump = |mut from: TcpStream, to: TcpStream, dir: Dir| {
        let last = last.clone();
        let counters = counters.clone();
        let mut out = if one_way.is_zero() {
            Out::Direct(to)
        } else {
            // This direction's chunks, each with the instant it may leave.
            let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
            let mut to = to;
            thread::spawn(move || {
                for (due, chunk) in rx {
                    let now = Instant::now();
                    if due > now {
                        thread::sleep(due - now);
                    }
                    if to.write_all(&chunk).is_err() {
                        break;
                    }
                }
                // The queue is drained (or the peer is gone): pass the end of stream on.
                let _ = to.shutdown(Shutdown::Write);
            });
            Out::Queue(tx)
        };
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let arrived = Instant::now();
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
                let sent = match &mut out {
                    Out::Direct(to) => to.write_all(&buf[..n]).is_ok(),
                    Out::Queue(tx) => tx.send((arrived + one_way, buf[..n].to_vec())).is_ok(),
                };
                if !sent {
                    break;
                }
            }
            if let Out::Direct(to) = &out {
                let _ = to.shutdown(Shutdown::Write);
            }
            // (A queue's writer shuts its side once it has sent what is queued.)
            drop(out);
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
