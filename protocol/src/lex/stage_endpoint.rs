//! Which WebSocket API stage a fulfillment may post frames to: the rule behind failing closed on
//! `streamingEndpoint`. A stage is reached over `https://`; plain `http://` (or `ws://`) only on a
//! loopback host, where the devstack runs. The deployment configures its stage
//! (`STREAMING_ENDPOINT`, in either the `wss://` or the `https://` form); a session's
//! `streamingEndpoint` must name that same stage in its `https://` form, as the Lex Web UI sends
//! it.

/// Why a URL is not a stage endpoint a fulfillment may post to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageEndpointError {
    /// Not `scheme://host…`.
    #[error("not an absolute URL")]
    NotAUrl,
    /// A scheme other than `https` (and, for a loopback host, `http` and `ws`).
    #[error("the {0}:// scheme is not accepted: use the stage's https:// form")]
    Scheme(String),
    /// `http://` or `ws://` to a host that is not loopback: frames would travel in clear text.
    #[error("plain {0}:// is accepted only for a loopback host (a local devstack)")]
    PlainTextToRemoteHost(String),
    /// User info (`user@host`), a query or a fragment: never part of a stage URL, and a classic way
    /// to make a URL look like another host.
    #[error("a stage URL has no user info, query or fragment")]
    Decorated,
    /// No host, or a port that is not a number.
    #[error("the URL has no usable host and port")]
    BadAuthority,
}

/// A stage endpoint a fulfillment may post to, normalized: lowercase host, explicit port, no
/// trailing `/`.
///
/// ```
/// use lexstream_protocol::lex::{StageEndpoint, StageEndpointError};
/// let configured = StageEndpoint::configured("wss://abc.execute-api.eu-west-1.amazonaws.com/Prod")?;
/// assert_eq!(configured.url(), "https://abc.execute-api.eu-west-1.amazonaws.com/Prod");
/// let sent = StageEndpoint::requested("https://abc.execute-api.eu-west-1.amazonaws.com/Prod/")?;
/// assert!(configured.is_same_stage(&sent));
///
/// assert!(matches!(StageEndpoint::requested("http://evil.example/Prod"), Err(StageEndpointError::PlainTextToRemoteHost(_))));
/// assert!(StageEndpoint::requested("http://127.0.0.1:8080/Prod").is_ok(), "a local devstack");
/// # Ok::<(), StageEndpointError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageEndpoint {
    secure: bool,
    host: String,
    port: u16,
    path: String,
}

impl StageEndpoint {
    /// The deployment's stage (`STREAMING_ENDPOINT`): the `wss://` stage URL or its `https://`
    /// form (`ws://` or `http://` for a loopback host).
    pub fn configured(url: &str) -> Result<Self, StageEndpointError> {
        Self::parse(url, &["https", "wss"], &["http", "ws"])
    }

    /// A session's `streamingEndpoint`: the stage's `https://` form (`http://` or `ws://` for a
    /// loopback host).
    pub fn requested(url: &str) -> Result<Self, StageEndpointError> {
        Self::parse(url, &["https"], &["http", "ws"])
    }

    fn parse(url: &str, secure: &[&str], loopback_only: &[&str]) -> Result<Self, StageEndpointError> {
        let (scheme, rest) = url.trim().split_once("://").ok_or(StageEndpointError::NotAUrl)?;
        let scheme = scheme.to_ascii_lowercase();
        let is_secure = secure.contains(&scheme.as_str());
        if !is_secure && !loopback_only.contains(&scheme.as_str()) {
            return Err(StageEndpointError::Scheme(scheme));
        }
        if rest.contains(['@', '?', '#', '\\']) {
            return Err(StageEndpointError::Decorated);
        }
        let (authority, path) = rest.find('/').map_or((rest, ""), |slash| rest.split_at(slash));
        let (host, port) = split_host_port(authority)?;
        if !is_secure && !is_loopback(&host) {
            return Err(StageEndpointError::PlainTextToRemoteHost(scheme));
        }
        let port = port.unwrap_or(if is_secure { 443 } else { 80 });
        Ok(Self { secure: is_secure, host, port, path: path.trim_end_matches('/').to_owned() })
    }

    /// The URL to post to: `https://host[:port]/path` (`http://` for a loopback host reached in
    /// clear text).
    pub fn url(&self) -> String {
        let (scheme, default_port) = if self.secure { ("https", 443) } else { ("http", 80) };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == default_port {
            format!("{scheme}://{host}{}", self.path)
        } else {
            format!("{scheme}://{host}:{}{}", self.port, self.path)
        }
    }

    /// Whether `other` names this same stage: same security, host, port and stage path. The
    /// loopback names of a machine (`localhost`, `127.0.0.1`, `[::1]`) are one host, so a page
    /// opened at either address of a local devstack streams.
    pub fn is_same_stage(&self, other: &Self) -> bool {
        let same_host = self.host == other.host || (is_loopback(&self.host) && is_loopback(&other.host));
        self.secure == other.secure && same_host && self.port == other.port && self.path == other.path
    }
}

/// The lowercase host (IPv6 without brackets) and the port, if one is given.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), StageEndpointError> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']').ok_or(StageEndpointError::BadAuthority)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or(StageEndpointError::BadAuthority)?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(StageEndpointError::BadAuthority);
    }
    let port = port.map(str::parse).transpose().map_err(|_| StageEndpointError::BadAuthority)?;
    Ok((host.to_ascii_lowercase(), port))
}

/// Whether `host` (lowercase, IPv6 without brackets) is this machine.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGE: &str = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod";

    #[test]
    fn the_configured_stage_is_read_in_either_form() {
        let from_wss =
            StageEndpoint::configured("wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod/").unwrap();
        let from_https = StageEndpoint::configured(STAGE).unwrap();
        assert_eq!(from_wss, from_https);
        assert_eq!(from_wss.url(), STAGE);
        let local = StageEndpoint::configured("ws://127.0.0.1:8080/Prod").unwrap();
        assert_eq!(local.url(), "http://127.0.0.1:8080/Prod");
        assert_eq!(
            StageEndpoint::configured("https://[::1]:9000/Prod").unwrap().url(),
            "https://[::1]:9000/Prod"
        );
    }

    #[test]
    fn a_session_must_name_the_configured_stage_in_its_https_form() {
        let configured = StageEndpoint::configured(STAGE).unwrap();
        let same =
            |url: &str| StageEndpoint::requested(url).is_ok_and(|sent| configured.is_same_stage(&sent));
        assert!(same(STAGE));
        assert!(same("HTTPS://A1B2C3D4E5.execute-api.us-east-1.amazonaws.com:443/Prod/"));
        assert!(!same("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Dev"));
        assert!(!same("https://attacker.example/Prod"));
        assert!(!same("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com:8443/Prod"));
        assert!(!same("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prodx"));
    }

    #[test]
    fn plain_text_and_odd_urls_are_refused_with_a_reason() {
        use StageEndpointError as E;
        let requested = StageEndpoint::requested;
        assert_eq!(requested("wss://a.example/Prod"), Err(E::Scheme("wss".into())));
        assert_eq!(requested("ftp://a.example/Prod"), Err(E::Scheme("ftp".into())));
        assert_eq!(requested("http://a.example/Prod"), Err(E::PlainTextToRemoteHost("http".into())));
        assert_eq!(requested("ws://10.0.0.7/Prod"), Err(E::PlainTextToRemoteHost("ws".into())));
        assert_eq!(requested("http://127.0.0.1@evil.example/Prod"), Err(E::Decorated));
        assert_eq!(requested("https://a.example/Prod?x=1"), Err(E::Decorated));
        assert_eq!(requested("https://a.example:port/Prod"), Err(E::BadAuthority));
        assert_eq!(requested("https:///Prod"), Err(E::BadAuthority));
        assert_eq!(requested("a.example/Prod"), Err(E::NotAUrl));
        assert_eq!(
            StageEndpoint::configured("http://a.example/Prod"),
            Err(E::PlainTextToRemoteHost("http".into()))
        );
    }

    #[test]
    fn loopback_names_are_one_host_for_a_local_devstack() {
        let configured = StageEndpoint::configured("http://127.0.0.1:8080/Prod").unwrap();
        for sent in ["http://localhost:8080/Prod", "ws://127.0.0.1:8080/Prod", "http://[::1]:8080/Prod"] {
            assert!(configured.is_same_stage(&StageEndpoint::requested(sent).unwrap()), "{sent}");
        }
        let other_port = StageEndpoint::requested("http://localhost:9090/Prod").unwrap();
        assert!(!configured.is_same_stage(&other_port));
        let secure = StageEndpoint::requested("https://127.0.0.1:8080/Prod").unwrap();
        assert!(!configured.is_same_stage(&secure), "https and http are not the same endpoint");
    }
}
