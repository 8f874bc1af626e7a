//! A TCP proxy a test puts between the portal's clients and a real server
//! (OpenBao, Hydra, Mosquitto, Keystone), to make that server seem down or
//! stuck at the moment the test chooses: real servers cannot be told to fail.

use std::net::SocketAddr;

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

/// How the proxy treats connections, open and new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways.
    Pass,
    /// Closes every connection at once: the client's call fails on a closed
    /// connection, as when the server is down.
    Refuse,
    /// Holds connections and forwards nothing: the client's call times out.
    Hang,
}

pub struct Proxy {
    address: SocketAddr,
    /// Every connection's task watches it and ends when it changes, so that
    /// no pooled or keep-alive connection outlives the mode it was opened in.
    mode: watch::Sender<Mode>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    /// A proxy on a free port of 127.0.0.1 to `target` (`host:port`), passing.
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (mode, watching) = watch::channel(Mode::Pass);
        let accepting = tokio::spawn(accept(listener, target.to_owned(), watching));
        Self {
            address,
            mode,
            accepting,
        }
    }

    /// A proxy to the server `url` names, and `url` pointing at the proxy.
    pub async fn in_front_of(url: &str) -> (Self, String) {
        let parsed = reqwest::Url::parse(url).unwrap();
        let target = format!(
            "{}:{}",
            parsed.host_str().unwrap(),
            parsed.port_or_known_default().unwrap()
        );
        let proxy = Self::start(&target).await;
        let mut proxied = parsed;
        proxied.set_ip_host(proxy.address.ip()).unwrap();
        proxied.set_port(Some(proxy.address.port())).unwrap();
        // `Url` adds a `/` to an empty path; some clients would then ask for `//v1/…`.
        let mut proxied = proxied.to_string();
        if !url.ends_with('/') {
            proxied = proxied.trim_end_matches('/').to_owned();
        }
        (proxy, proxied)
    }

    /// `host:port` to connect to instead of the server.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// Switches mode; every open connection is closed when it changes.
    pub fn set(&self, mode: Mode) {
        self.mode.send_if_modified(|current| {
            let changed = *current != mode;
            *current = mode;
            changed
        });
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The connections' tasks end with the mode's sender.
        self.accepting.abort();
    }
}

async fn accept(listener: TcpListener, target: String, mode: watch::Receiver<Mode>) {
    while let Ok((client, _)) = listener.accept().await {
        tokio::spawn(serve(client, target.clone(), mode.clone()));
    }
}

/// One connection, in the mode current when it was accepted, until the mode
/// changes (or the proxy is dropped): then both sides are closed.
async fn serve(mut client: TcpStream, target: String, mut mode: watch::Receiver<Mode>) {
    let current = *mode.borrow_and_update();
    match current {
        Mode::Refuse => drop(client),
        Mode::Hang => {
            let _ = mode.changed().await;
        }
        Mode::Pass => {
            let Ok(mut server) = TcpStream::connect(&target).await else {
                return;
            };
            tokio::select! {
                _ = copy_bidirectional(&mut client, &mut server) => {}
                _ = mode.changed() => {}
            }
        }
    }
}
