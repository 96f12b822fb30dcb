//! Who is subscribed to what, and delivering a published event to every matching subscription
//! (one `data` message per event, its `id` the subscription's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lexstream_protocol::appsync::{ChannelPath, EventsMessage, SubscriptionPattern};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

#[derive(Debug)]
struct Subscription {
    connection: u64,
    id: String,
    pattern: SubscriptionPattern,
    outbox: UnboundedSender<String>,
}

/// The subscriptions of every realtime connection, and a way to drop the connections.
#[derive(Debug, Clone, Default)]
pub struct Broker {
    subscriptions: Arc<Mutex<Vec<Subscription>>>,
    droppers: Arc<Mutex<HashMap<u64, Arc<Notify>>>>,
}

impl Broker {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<Subscription>) -> T) -> T {
        f(&mut self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds a subscription; `false` if the connection already uses `id`.
    pub(crate) fn subscribe(
        &self,
        connection: u64,
        id: &str,
        pattern: SubscriptionPattern,
        outbox: UnboundedSender<String>,
    ) -> bool {
        self.with(|subscriptions| {
            if subscriptions.iter().any(|s| s.connection == connection && s.id == id) {
                return false;
            }
            subscriptions.push(Subscription { connection, id: id.to_owned(), pattern, outbox });
            true
        })
    }

    /// How many subscriptions a connection has.
    pub(crate) fn count(&self, connection: u64) -> usize {
        self.with(|subscriptions| subscriptions.iter().filter(|s| s.connection == connection).count())
    }

    /// Removes a subscription; `false` if there was none with that id.
    pub(crate) fn unsubscribe(&self, connection: u64, id: &str) -> bool {
        self.with(|subscriptions| {
            let before = subscriptions.len();
            subscriptions.retain(|s| !(s.connection == connection && s.id == id));
            subscriptions.len() < before
        })
    }

    /// Removes every subscription of a closed connection.
    pub(crate) fn disconnect(&self, connection: u64) {
        self.with(|subscriptions| subscriptions.retain(|s| s.connection != connection));
        self.droppers.lock().unwrap_or_else(PoisonError::into_inner).remove(&connection);
    }

    /// What a connection waits on to be dropped by [`Broker::drop_connections`].
    pub(crate) fn dropper(&self, connection: u64) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        self.droppers.lock().unwrap_or_else(PoisonError::into_inner).insert(connection, Arc::clone(&notify));
        notify
    }

    /// Closes every realtime connection (as a network drop or AppSync's 24-hour limit would);
    /// returns how many there were.
    pub fn drop_connections(&self) -> usize {
        let droppers = self.droppers.lock().unwrap_or_else(PoisonError::into_inner);
        for notify in droppers.values() {
            notify.notify_one();
        }
        droppers.len()
    }

    /// Subscriptions held now, over all connections.
    pub fn subscription_count(&self) -> usize {
        self.with(|subscriptions| subscriptions.len())
    }

    /// Delivers each event to every subscription matching `channel`.
    pub(crate) fn publish(&self, channel: &ChannelPath, events: &[String]) {
        self.with(|subscriptions| {
            for subscription in subscriptions.iter().filter(|s| s.pattern.matches(channel)) {
                for event in events {
                    let data = EventsMessage::Data { id: subscription.id.clone(), event: event.clone() };
                    let _ = subscription.outbox.send(data.to_json());
                }
            }
        });
    }
}
