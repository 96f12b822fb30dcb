//! API Gateway WebSocket emulation: the WebSocket API itself, the registry of open connections,
//! and the management API (`@connections`).

mod connections;
mod management;
mod websocket;

pub use connections::{ConnectionInfo, Connections, DeliveryError};
pub(crate) use management::{ManagementApi, routes as management_routes};
pub use websocket::WebSocketLimits;
pub(crate) use websocket::{WebSocketApi, upgrade as websocket_upgrade};
