//! The venue's HTTP server: connection limits and timeouts in front of the
//! router, for plain TCP and TLS alike.
//!
//! A local exchange is still a server anyone on the machine can reach, so it
//! defends itself the way an exchange's edge does:
//!
//! * **connection limits**: at most [`ConnectionLimits::total`] open
//!   connections, and [`ConnectionLimits::per_ip`] from one address; one
//!   past either gets a JSON `503` and is closed, so ten thousand idle
//!   sockets cannot use up the process's file handles and lock everyone out;
//! * **header timeout**: a request's headers must arrive within
//!   [`ConnectionLimits::header_timeout`], counted from the connection's
//!   start or from the end of the previous response (hyper's
//!   `header_read_timeout`, which also closes keep-alive connections that
//!   sit idle), so a slowloris client sending a byte a second is cut off;
//! * **TLS handshakes** run in the connection's own task with a timeout,
//!   so a client that never finishes one holds up no one.
//!
//! WebSocket connections are upgraded out of HTTP and are not subject to
//! the header timeout; they count against the limits while open.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// How long a client has to finish a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connections in flight get to finish once shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's defences (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub total: usize,
    pub per_ip: usize,
    pub header_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { total: 4096, per_ip: 1024, header_timeout: Duration::from_secs(10) }
    }
}

/// Open connections, in all and by address.
#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// One connection's place under the limits, given back when it is dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<Open>>, ip: IpAddr, limits: &ConnectionLimits) -> Option<Slot> {
        let mut o = open.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = o.by_ip.get(&ip).copied().unwrap_or(0);
        if o.total >= limits.total || from_ip >= limits.per_ip {
            return None;
        }
        o.total += 1;
        o.by_ip.insert(ip, from_ip + 1);
        Some(Slot { open: open.clone(), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        o.total -= 1;
        if let Some(n) = o.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.by_ip.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown`
/// resolves, then lets connections in flight finish for a few seconds.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let open = Arc::new(Mutex::new(Open::default()));
    let acceptor = tls.map(TlsAcceptor::from);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, then go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let Some(slot) = Slot::take(&open, peer.ip(), &limits) else {
            refuse(stream);
            continue;
        };
        // Rate limits are per address: each request learns its connection's.
        let router = router.clone().layer(axum::Extension(crate::rest::Peer(peer)));
        let (http, acceptor, stop) = (http.clone(), acceptor.clone(), stop_rx.clone());
        connections.spawn(async move {
            let _slot = slot;
            match acceptor {
                None => connection(&http, stream, router, stop).await,
                Some(acceptor) => {
                    if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        connection(&http, tls, router, stop).await;
                    }
                }
            }
        });
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async { while connections.join_next().await.is_some() {} }).await;
    Ok(())
}

/// One HTTP/1 connection (upgrades to WebSocket allowed), shut down
/// gracefully when `stop` turns true.
async fn connection<S>(http: &http1::Builder, io: S, router: Router, mut stop: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(router)).with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Resolves once `stop` turns true (never, if the server is gone without it).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Tells a client over the limits why, best effort, and closes.
fn refuse(stream: TcpStream) {
    const BODY: &str = r#"{"code":-1003,"msg":"Too many connections; close some and retry."}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(response.as_bytes());
}
