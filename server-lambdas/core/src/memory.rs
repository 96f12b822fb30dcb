//! In-process adapters: an in-memory connection table and fakes, for tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::StoreError;
use crate::ports::{ConnectionRecord, ConnectionStore};

/// A connection table in memory, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct MemoryConnectionStore {
    rows: Arc<Mutex<Rows>>,
}

#[derive(Debug, Default)]
struct Rows {
    by_session: HashMap<String, ConnectionRecord>,
    session_of_connection: HashMap<String, String>,
}

impl MemoryConnectionStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ConnectionStore for MemoryConnectionStore {
    async fn put(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        let mut rows = self.rows();
        rows.session_of_connection.insert(record.connection_id.clone(), record.session_id.clone());
        rows.by_session.insert(record.session_id.clone(), record.clone());
        Ok(())
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        Ok(self.rows().by_session.get(session_id).cloned())
    }

    async fn session_of(&self, connection_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.rows().session_of_connection.get(connection_id).cloned())
    }

    async fn delete_if_current(&self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        let mut rows = self.rows();
        rows.session_of_connection.remove(connection_id);
        if rows.by_session.get(session_id).is_some_and(|row| row.connection_id == connection_id) {
            rows.by_session.remove(session_id);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}
