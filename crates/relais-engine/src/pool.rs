//! Kept connections for the person's actions: one authenticated connection per box, opened
//! at the first action and reused by the next ones, so that a click costs the command's own
//! round trip, not a new TCP, TLS and login exchange (about eight round trips).
//!
//! Synchronisation and the live watch hold their own connections (a connection in IDLE
//! cannot serve a click); this pool is for actions only. A kept connection is checked before
//! it is reused: closed by the server, or unused for longer than servers keep an idle
//! session, it is replaced by a new one.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, Entitlement};

use crate::error::Result;
use crate::sync::BoxConnection;
use crate::Engine;

/// Servers end a session left idle for 30 minutes (RFC 3501 §5.4); replace ours well before.
const KEEP_FOR: Duration = Duration::from_secs(20 * 60);

/// The kept connections, by box.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<BoxAddress, (BoxConnection, Instant)>>,
    /// How many connections the pool opened (for tests and the benchmark).
    opened: std::sync::atomic::AtomicU64,
}

impl Pool {
    fn take(&self, address: &BoxAddress) -> Option<BoxConnection> {
        let (mut conn, last_used) = crate::lock(&self.idle).remove(address)?;
        if last_used.elapsed() > KEEP_FOR || conn.session.peer_closed() {
            tracing::debug!(target: "relais::pool", "connexion conservée remplacée");
            return None;
        }
        conn.session.drop_unsolicited();
        Some(conn)
    }

    fn put(&self, address: BoxAddress, conn: BoxConnection) {
        let previous = crate::lock(&self.idle).insert(address, (conn, Instant::now()));
        // Two actions on one box at once: the second connection is closed, the newer kept.
        if let Some((old, _)) = previous {
            old.session.logout();
        }
    }

    /// Closes every kept connection (sign-out, lock of the store).
    pub(crate) fn close_all(&self) {
        let all: Vec<_> = crate::lock(&self.idle).drain().collect();
        for (_, (conn, _)) in all {
            conn.session.logout();
        }
    }

    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A kept connection lent to one action; it goes back to the pool when dropped (checked
/// again before its next use).
pub(crate) struct Pooled<'e> {
    pool: &'e Pool,
    address: BoxAddress,
    conn: Option<BoxConnection>,
}

impl Deref for Pooled<'_> {
    type Target = BoxConnection;
    fn deref(&self) -> &BoxConnection {
        self.conn
            .as_ref()
            .expect("a lent connection is present until dropped")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut BoxConnection {
        self.conn
            .as_mut()
            .expect("a lent connection is present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put(self.address.clone(), conn);
        }
    }
}

impl Engine {
    /// The box's kept connection, or a new one.
    pub(crate) fn pooled(&self, entitlement: &Entitlement) -> Result<Pooled<'_>> {
        let conn = match self.pool.take(&entitlement.address) {
            Some(conn) => conn,
            None => {
                let conn = self.connect_box(entitlement)?;
                self.pool
                    .opened
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                conn
            }
        };
        Ok(Pooled {
            pool: &self.pool,
            address: entitlement.address.clone(),
            conn: Some(conn),
        })
    }

    /// How many connections were opened for actions since the engine started: a warm
    /// session's clicks open none.
    pub fn action_connections_opened(&self) -> u64 {
        self.pool.opened()
    }
}
