//! Who is subscribed to what, and delivering a published event to every matching subscription
//! (one `data` message per event, its `id` the subscription's).

use std::sync::{Arc, Mutex, PoisonError};

use lexstream_protocol::appsync::{ChannelPath, EventsMessage, SubscriptionPattern};
use tokio::sync::mpsc::UnboundedSender;

#[derive(Debug)]
struct Subscription {
    connection: u64,
    id: String,
    pattern: SubscriptionPattern,
    outbox: UnboundedSender<String>,
}

/// The subscriptions of every realtime connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Broker {
    subscriptions: Arc<Mutex<Vec<Subscription>>>,
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
