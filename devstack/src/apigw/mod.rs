//! API Gateway WebSocket emulation: the connection registry and the management API.

mod connections;
mod management;

pub use connections::{ConnectionInfo, Connections, DeliveryError};
pub(crate) use management::routes as management_routes;
