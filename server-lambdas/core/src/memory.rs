//! In-process adapters: an in-memory connection table (with turn records, histories and the
//! per-visitor limits' items), for tests and the devstack. It decides as DynamoDB would: a claim or
//! a hold past its TTL counts as absent, counters are atomic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::StoreError;
use crate::ports::{ChatMessage, ConnectionRecord, ConnectionStore};
use crate::turns::{TurnClaim, TurnRecord, TurnStore, history_key, turn_key};
use crate::visitor_limits::{HoldOutcome, InFlightHold, VisitorLimitStore, in_flight_key};

/// A connection table in memory, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct MemoryConnectionStore {
    rows: Arc<Mutex<Rows>>,
}

#[derive(Debug, Default)]
struct Rows {
    by_session: HashMap<String, ConnectionRecord>,
    session_of_connection: HashMap<String, String>,
    turns: HashMap<String, TurnRecord>,
    histories: HashMap<String, (Vec<ChatMessage>, i64)>,
    turn_writes: Vec<TurnRecord>,
    /// In-flight slots: the holding turn and the hold's TTL.
    in_flight: HashMap<String, (String, i64)>,
    /// Rate counters: hits and TTL.
    counters: HashMap<String, (u64, i64)>,
}

impl MemoryConnectionStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every turn record written (claims and saves), in order: what a test inspects to count
    /// checkpoints and check each one.
    pub fn turn_writes(&self) -> Vec<TurnRecord> {
        self.rows().turn_writes.clone()
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

    async fn request_stop_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
        turn: &str,
    ) -> Result<bool, StoreError> {
        // As DynamoDB's conditional update: checked and written under one lock.
        let mut rows = self.rows();
        match rows.by_session.get_mut(session_id).filter(|row| row.connection_id == connection_id) {
            Some(row) => {
                row.stop_turn = Some(turn.to_owned());
                Ok(true)
            }
            None => Ok(false),
        }
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

impl TurnStore for MemoryConnectionStore {
    async fn claim(&self, record: &TurnRecord) -> Result<TurnClaim, StoreError> {
        let mut rows = self.rows();
        let key = turn_key(&record.session_id, &record.turn);
        // As on DynamoDB: a record past its TTL (not yet swept) counts as absent.
        if let Some(existing) = rows.turns.get(&key).filter(|existing| existing.ttl >= record.updated_at) {
            return Ok(TurnClaim::Taken(existing.clone()));
        }
        rows.turns.insert(key, record.clone());
        rows.turn_writes.push(record.clone());
        Ok(TurnClaim::Claimed)
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<(), StoreError> {
        if !record.fits() {
            return Err(StoreError(format!("turn record of {} is too large for the table", record.turn)));
        }
        let mut rows = self.rows();
        rows.turns.insert(turn_key(&record.session_id, &record.turn), record.clone());
        rows.turn_writes.push(record.clone());
        Ok(())
    }

    async fn turn(&self, session_id: &str, turn: &str) -> Result<Option<TurnRecord>, StoreError> {
        Ok(self.rows().turns.get(&turn_key(session_id, turn)).cloned())
    }

    async fn history(&self, session_id: &str) -> Result<Vec<ChatMessage>, StoreError> {
        let now = crate::connect::now_epoch_seconds();
        Ok(self
            .rows()
            .histories
            .get(&history_key(session_id))
            .filter(|(_, ttl)| *ttl >= now)
            .map(|(messages, _)| messages.clone())
            .unwrap_or_default())
    }

    async fn save_history(
        &self,
        session_id: &str,
        messages: &[ChatMessage],
        ttl: i64,
    ) -> Result<(), StoreError> {
        self.rows().histories.insert(history_key(session_id), (messages.to_vec(), ttl));
        Ok(())
    }
}

impl VisitorLimitStore for MemoryConnectionStore {
    async fn hold_in_flight(
        &self,
        hold: &InFlightHold,
        replaceable: Option<&str>,
        now: i64,
    ) -> Result<HoldOutcome, StoreError> {
        let mut rows = self.rows();
        let key = in_flight_key(&hold.session_id);
        if let Some((holder, _)) = rows.in_flight.get(&key).filter(|(holder, ttl)| {
            *ttl >= now && *holder != hold.turn && Some(holder.as_str()) != replaceable
        }) {
            return Ok(HoldOutcome::HeldBy(holder.clone()));
        }
        rows.in_flight.insert(key, (hold.turn.clone(), hold.expires_at));
        Ok(HoldOutcome::Held)
    }

    async fn release_in_flight(&self, session_id: &str, turn: &str) -> Result<(), StoreError> {
        let mut rows = self.rows();
        let key = in_flight_key(session_id);
        if rows.in_flight.get(&key).is_some_and(|(holder, _)| holder == turn) {
            rows.in_flight.remove(&key);
        }
        Ok(())
    }

    async fn add_hit(&self, key: &str, ttl: i64) -> Result<u64, StoreError> {
        let mut rows = self.rows();
        let counter = rows.counters.entry(key.to_owned()).or_insert((0, ttl));
        *counter = (counter.0 + 1, ttl);
        Ok(counter.0)
    }

    async fn hits(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self.rows().counters.get(key).map_or(0, |(hits, _)| *hits))
    }
}
