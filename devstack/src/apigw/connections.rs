//! The open WebSocket connections of the emulated API Gateway, by connection id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tokio::sync::mpsc;

/// One open connection: where its messages go and what `GetConnection` reports.
#[derive(Debug, Clone)]
struct Connection {
    outbox: mpsc::UnboundedSender<String>,
    connected_at: SystemTime,
    last_active_at: SystemTime,
    source_ip: String,
    user_agent: String,
}

/// What `GetConnection` reports about a connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// When it opened.
    pub connected_at: SystemTime,
    /// When it last sent or received.
    pub last_active_at: SystemTime,
    /// The client's address.
    pub source_ip: String,
    /// The client's user agent.
    pub user_agent: String,
}

/// Why a message could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryError {
    /// No such open connection.
    Gone,
}

/// The registry of open connections, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    open: Arc<Mutex<HashMap<String, Connection>>>,
}

impl Connections {
    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<String, Connection>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection; what is posted to it arrives on the returned receiver.
    pub fn register(
        &self,
        connection_id: &str,
        source_ip: &str,
        user_agent: &str,
    ) -> mpsc::UnboundedReceiver<String> {
        let (outbox, inbox) = mpsc::unbounded_channel();
        let now = SystemTime::now();
        let connection = Connection {
            outbox,
            connected_at: now,
            last_active_at: now,
            source_ip: source_ip.to_owned(),
            user_agent: user_agent.to_owned(),
        };
        self.open().insert(connection_id.to_owned(), connection);
        inbox
    }

    /// Forgets a connection (it closed); returns whether it was open.
    pub fn remove(&self, connection_id: &str) -> bool {
        self.open().remove(connection_id).is_some()
    }

    /// Whether `connection_id` is open.
    pub fn is_open(&self, connection_id: &str) -> bool {
        self.open().contains_key(connection_id)
    }

    /// Delivers one message to an open connection.
    pub fn deliver(&self, connection_id: &str, message: String) -> Result<(), DeliveryError> {
        let mut open = self.open();
        let Some(connection) = open.get_mut(connection_id) else { return Err(DeliveryError::Gone) };
        if connection.outbox.send(message).is_err() {
            open.remove(connection_id);
            return Err(DeliveryError::Gone);
        }
        connection.last_active_at = SystemTime::now();
        Ok(())
    }

    /// What `GetConnection` reports.
    pub fn info(&self, connection_id: &str) -> Option<ConnectionInfo> {
        self.open().get(connection_id).map(|c| ConnectionInfo {
            connected_at: c.connected_at,
            last_active_at: c.last_active_at,
            source_ip: c.source_ip.clone(),
            user_agent: c.user_agent.clone(),
        })
    }
}
