//! Serving: the accept loop, TLS handshakes, HTTP/1.1 connections with header, body, idle and
//! handshake timeouts, a connection limit, and a graceful drain on shutdown.
//!
//! A slow client never holds a database worker: a request reaches a worker only once its whole
//! body has arrived (within the body timeout). Headers and idle keep-alive time share the
//! idle timeout; handshakes have their own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ams_core::{Error, ErrorCode, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;

use crate::routes::{self, App, Peer};

/// How the server listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address and port.
    pub listen: SocketAddr,
    /// Time allowed for a TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for a request's headers, and for an idle keep-alive connection.
    pub idle_timeout: Duration,
    /// Most open connections; more are closed at once.
    pub max_connections: usize,
    /// On shutdown, how long in-flight requests may take to finish.
    pub drain_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 15_000,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A bound server, ready to run.
pub struct Server {
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Arc<App>,
    opts: ServeOptions,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("opts", &self.opts).field("tls", &self.tls.is_some()).finish_non_exhaustive()
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, Copy)]
pub struct ServeReport {
    /// Connections still open when the drain timeout ended (0: a clean drain).
    pub abandoned: usize,
}

impl Server {
    /// Binds the listener. Without TLS, only a loopback address is accepted.
    pub async fn bind(app: Arc<App>, tls: Option<Arc<rustls::ServerConfig>>, opts: ServeOptions) -> Result<Server> {
        if tls.is_none() && !opts.listen.ip().is_loopback() {
            return Err(Error::new(ErrorCode::ListenFailed, "Plain HTTP is only served on a loopback address.")
                .hint("Give a TLS certificate, or listen on 127.0.0.1 / [::1] with --insecure-loopback.")
                .with("address", opts.listen));
        }
        let listener = TcpListener::bind(opts.listen).await.map_err(|e| {
            Error::new(ErrorCode::ListenFailed, format!("The server cannot listen on {}: {}.", opts.listen, e.kind()))
                .hint("Choose another address or port, or stop the process that uses it.")
                .with("address", opts.listen)
        })?;
        Ok(Server { listener, tls: tls.map(tokio_rustls::TlsAcceptor::from), app, opts })
    }

    /// The address actually bound (for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(Error::from)
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// (up to the drain timeout) and returns.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> ServeReport {
        let Server { listener, tls, app, opts } = self;
        let router = routes::router(app.clone());
        let tracker = TaskTracker::new();
        let limit = Arc::new(Semaphore::new(opts.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                a = listener.accept() => a,
            };
            let (tcp, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e.kind(), "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let Ok(permit) = limit.clone().try_acquire_owned() else {
                tracing::warn!(peer = %peer.ip(), "connection refused: connection limit reached");
                drop(tcp);
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (tls, app, router, opts) = (tls.clone(), app.clone(), router.clone(), opts.clone());
            let mut stop = stop_rx.clone();
            tracker.spawn(async move {
                let _permit = permit;
                let io: Box<dyn Io> = match tls {
                    Some(acc) => match tokio::time::timeout(opts.handshake_timeout, acc.accept(tcp)).await {
                        Ok(Ok(s)) => Box::new(s),
                        Ok(Err(_)) | Err(_) => {
                            tracing::debug!(peer = %peer.ip(), "TLS handshake failed or timed out");
                            return;
                        }
                    },
                    None => Box::new(tcp),
                };
                let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(Peer(peer));
                    let (app, router) = (app.clone(), router.clone());
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            routes::handle(app, router, req.map(axum::body::Body::new)).await,
                        )
                    }
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(opts.idle_timeout)
                    .keep_alive(true)
                    .max_buf_size(64 * 1024);
                let conn = builder.serve_connection(TokioIo::new(io), svc);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stop.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        drop(listener);
        tracing::info!(open = tracker.len(), "shutting down: draining in-flight requests");
        let _ = stop_tx.send(true);
        tracker.close();
        let abandoned = match tokio::time::timeout(opts.drain_timeout, tracker.wait()).await {
            Ok(()) => 0,
            Err(_) => tracker.len(),
        };
        tracing::info!(abandoned, "server stopped");
        ServeReport { abandoned }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C; the Windows service stop arrives as Ctrl-Break/Close).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
