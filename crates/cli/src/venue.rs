//! `pyrt venue`: the local Binance-compatible exchange, until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use pyrt_binance::Market;
use pyrt_venue_server::{DOCS_API_KEY, ReplayConfig, VenueConfig, spawn};

pub struct Replay {
    pub path: PathBuf,
    pub market: Market,
    pub speed: f64,
}

pub struct Options {
    pub listen: SocketAddr,
    pub seed: u64,
    pub step_ms: u64,
    pub replay: Option<Replay>,
    pub tick_size: Option<String>,
    pub lot_size: Option<String>,
    pub fee_bps: i64,
    pub tls: Option<Tls>,
    pub listen_key_ttl_s: f64,
    pub limits: Limits,
}

/// The server's defences, as given on the command line.
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_timeout_s: f64,
    pub rate_limits: pyrt_venue_server::rate_limits::RateLimits,
    pub keep_unfilled_orders: usize,
}

/// Serve HTTPS/WSS with these files, or with a new self-signed pair.
pub enum Tls {
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned { dir: PathBuf },
}

pub fn run(o: Options) -> Result<()> {
    let mut config =
        VenueConfig { seed: o.seed, step: Duration::from_millis(o.step_ms.max(1)), ..VenueConfig::default() };
    if !(0..=1000).contains(&o.fee_bps) {
        bail!("--fee-bps {} must be between 0 and 1000", o.fee_bps);
    }
    if !(o.listen_key_ttl_s >= 0.001 && o.listen_key_ttl_s <= 86_400.0) {
        bail!("--listen-key-ttl-s {} must be between 0.001 and 86400 seconds", o.listen_key_ttl_s);
    }
    config.listen_key_ttl = Duration::from_secs_f64(o.listen_key_ttl_s);
    let l = &o.limits;
    if l.max_connections == 0 || l.max_connections_per_ip == 0 {
        bail!("--max-connections and --max-connections-per-ip must be at least 1");
    }
    if !(l.header_timeout_s >= 0.01 && l.header_timeout_s <= 3600.0) {
        bail!("--header-timeout-s {} must be between 0.01 and 3600 seconds", l.header_timeout_s);
    }
    config.limits = pyrt_venue_server::serve::ConnectionLimits {
        total: l.max_connections,
        per_ip: l.max_connections_per_ip,
        header_timeout: Duration::from_secs_f64(l.header_timeout_s),
    };
    let r = &l.rate_limits;
    if [r.weight_per_minute, r.orders_per_10s, r.orders_per_day].contains(&Some(0)) {
        bail!(
            "--weight-limit, --order-limit-10s and --order-limit-1d must be at least 1 (--no-rate-limits lifts them)"
        );
    }
    config.rate_limits = l.rate_limits;
    config.keep_unfilled_orders = l.keep_unfilled_orders;
    config.maker = pyrt_model::Rate::from_bps(o.fee_bps);
    config.taker = config.maker;
    let spec = &mut config.symbols[0];
    if let Some(t) = &o.tick_size {
        spec.tick = t.parse().map_err(|e| anyhow::anyhow!("--tick-size {t}: {e}"))?;
        spec.min_price = spec.tick;
    }
    if let Some(l) = &o.lot_size {
        spec.lot = l.parse().map_err(|e| anyhow::anyhow!("--lot-size {l}: {e}"))?;
        spec.min_qty = spec.lot;
    }
    if let Some(r) = o.replay {
        if !(r.speed >= 0.0 && r.speed.is_finite()) {
            bail!("--speed {} must be a number ≥ 0 (0: as fast as possible)", r.speed);
        }
        config.replay = Some(ReplayConfig { path: r.path, market: r.market, speed: r.speed });
    }
    let mut trust_note = None;
    config.tls = match o.tls {
        None => None,
        Some(Tls::Files { cert, key }) => Some(pyrt_venue_server::tls::server_config(&cert, &key)?),
        Some(Tls::SelfSigned { dir }) => {
            let (cert, key) = pyrt_venue_server::tls::self_signed(&dir)
                .with_context(|| format!("cannot write a certificate to {}", dir.display()))?;
            trust_note = Some(format!("self-signed certificate: {} (clients: --ca-file {0})", cert.display()));
            Some(pyrt_venue_server::tls::server_config(&cert, &key)?)
        }
    };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let symbols: Vec<_> = config.symbols.iter().map(|s| s.symbol.clone()).collect();
        let source = config.replay.as_ref().map_or("a synthetic market".to_string(), |r| {
            format!("a replay of {} at {}× speed", r.path.display(), r.speed)
        });
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let (venue, server) = spawn(config, o.listen, shutdown)
            .await
            .with_context(|| format!("cannot start the venue on {}", o.listen))?;
        // Tests and scripts read the address from this first line. A reader
        // that goes away must not stop the venue, so write errors are ignored.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "pyrt venue listening on {scheme}://{}", venue.address);
        if let Some(note) = &trust_note {
            let _ = writeln!(out, "{note}");
        }
        let _ = writeln!(
            out,
            "symbols: {}; market: {source}; API key: {DOCS_API_KEY} (the Binance docs' example key and secret)",
            symbols.join(", ")
        );
        let _ = out.flush();
        server.await.context("the server task failed")??;
        tracing::info!("pyrt venue stopped");
        Ok(())
    })
}
