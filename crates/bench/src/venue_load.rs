//! `pyrt-bench venue-load`: the local venue under many concurrent clients.
//!
//! Starts `pyrt venue`'s server in this process (rate limits lifted, the
//! synthetic market stepping every 100 ms) and runs `clients` keep-alive
//! HTTP/1.1 connections that each send one request after another for
//! `seconds`: signed new orders (`POST /api/v3/order`, a LIMIT IOC buy far
//! below the market with a unique `newClientOrderId`, as ccxt and
//! python-binance send: each expires at once, so the open book stays
//! small while the account's history grows by one order per request), or
//! `GET /api/v3/depth`, or both (`mixed`: half the clients each, to see
//! whether book reads wait behind matching). The client is a few lines of raw HTTP on the same
//! runtime, so most of the machine's time is the server's.
//!
//! Reported: requests per second in each 10-second slice (flat, or
//! falling as the venue's state grows?), latency percentiles of every
//! request, errors, and the process's resident memory at the start and at
//! each slice's end.

use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Order,
    Depth,
    /// Even clients send orders, odd ones read the book.
    Mixed,
}

/// Latency of one kind of request.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub endpoint: Endpoint,
    pub requests: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Latency {
    fn of(endpoint: Endpoint, h: &Histogram<u64>) -> Self {
        let at = |q: f64| h.value_at_quantile(q) as f64;
        Self {
            endpoint,
            requests: h.len(),
            p50_us: at(0.5),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: h.max() as f64,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Slice {
    pub end_s: f64,
    pub requests: u64,
    pub per_second: f64,
    pub rss_mb: f64,
}

#[derive(Debug, Serialize)]
pub struct LoadBench {
    pub endpoint: Endpoint,
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    /// Orders and book reads apart.
    pub by_endpoint: Vec<Latency>,
    pub rss_start_mb: f64,
    pub slices: Vec<Slice>,
}

const SLICE: Duration = Duration::from_secs(10);

pub fn run(endpoint: Endpoint, clients: usize, seconds: f64) -> Result<LoadBench> {
    if clients == 0 || seconds.is_nan() || seconds <= 0.0 || seconds.is_infinite() {
        bail!("--clients must be at least 1 and --seconds above 0");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(load(endpoint, clients, Duration::from_secs_f64(seconds)))
}

async fn load(endpoint: Endpoint, clients: usize, length: Duration) -> Result<LoadBench> {
    use pyrt_venue_server::{VenueConfig, rate_limits::RateLimits, spawn};
    let config = VenueConfig {
        rate_limits: RateLimits::none(),
        limits: pyrt_venue_server::serve::ConnectionLimits { per_ip: clients + 16, ..Default::default() },
        ..VenueConfig::default()
    };
    let (venue, _server) = spawn(config, "127.0.0.1:0".parse()?, std::future::pending()).await?;
    let address = venue.address;
    let rss_start_mb = rss_mb();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let (stop, done) = (stop.clone(), done.clone());
        let endpoint = match endpoint {
            Endpoint::Mixed if client % 2 == 0 => Endpoint::Order,
            Endpoint::Mixed => Endpoint::Depth,
            one => one,
        };
        tasks.push(tokio::spawn(async move { client_loop(address, endpoint, client, stop, done).await }));
    }
    let start = Instant::now();
    let mut slices = Vec::new();
    let mut last = 0u64;
    while start.elapsed() < length {
        let left = length.saturating_sub(start.elapsed());
        tokio::time::sleep(left.min(SLICE)).await;
        let now = done.load(Ordering::Relaxed);
        let since = slices.last().map_or(0.0, |s: &Slice| s.end_s);
        let end_s = start.elapsed().as_secs_f64();
        slices.push(Slice {
            end_s,
            requests: now - last,
            per_second: (now - last) as f64 / (end_s - since),
            rss_mb: rss_mb(),
        });
        last = now;
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let (mut latencies, mut errors, mut first_error) = (latency_histogram(), 0, None);
    let (mut orders, mut reads) = (latency_histogram(), latency_histogram());
    for task in tasks {
        let outcome = task.await.context("a load client panicked")?;
        latencies.add(&outcome.latencies_us).context("merging latency histograms")?;
        let kind = if outcome.endpoint == Endpoint::Order { &mut orders } else { &mut reads };
        kind.add(&outcome.latencies_us).context("merging latency histograms")?;
        errors += outcome.errors;
        first_error = first_error.or(outcome.first_error);
    }
    let by_endpoint = [(Endpoint::Order, &orders), (Endpoint::Depth, &reads)]
        .into_iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(e, h)| Latency::of(e, h))
        .collect();
    let at = |q: f64| latencies.value_at_quantile(q) as f64;
    Ok(LoadBench {
        endpoint,
        clients,
        seconds: elapsed,
        requests: latencies.len(),
        errors,
        first_error,
        per_second: latencies.len() as f64 / elapsed,
        p50_us: at(0.5),
        p99_us: at(0.99),
        p999_us: at(0.999),
        max_us: latencies.max() as f64,
        by_endpoint,
        rss_start_mb,
        slices,
    })
}

/// Microseconds from 1 µs to a minute at 3 significant digits: a fixed
/// few hundred kilobytes however long the run, so the process's resident
/// memory is the venue's (a list of samples grew by 8 bytes a request).
fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

struct Outcome {
    endpoint: Endpoint,
    latencies_us: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// One keep-alive connection sending requests back to back.
async fn client_loop(
    address: SocketAddr,
    endpoint: Endpoint,
    client: usize,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> Outcome {
    let mut out = Outcome { endpoint, latencies_us: latency_histogram(), errors: 0, first_error: None };
    let mut conn = None;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        if conn.is_none() {
            match TcpStream::connect(address).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    conn = Some(BufReader::new(s));
                }
                Err(e) => {
                    out.errors += 1;
                    out.first_error.get_or_insert(format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        n += 1;
        let request = match endpoint {
            Endpoint::Depth => "GET /api/v3/depth?symbol=BTCUSDT&limit=100 HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
            Endpoint::Order | Endpoint::Mixed => order_request(client, n),
        };
        let stream = conn.as_mut().expect("connected above");
        let t = Instant::now();
        match exchange(stream, request.as_bytes()).await {
            Ok((200, _)) => {
                out.latencies_us.saturating_record(t.elapsed().as_micros() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok((status, body)) => {
                out.errors += 1;
                out.first_error.get_or_insert(format!("HTTP {status}: {body}"));
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert(e.to_string());
                conn = None;
            }
        }
    }
    out
}

/// A signed LIMIT IOC buy at half the market, under a client id of its own.
fn order_request(client: usize, n: u64) -> String {
    use pyrt_binance::signing::{DOCS_API_KEY, DOCS_SECRET, sign};
    let now_ms = pyrt_model::time::wall_clock() / 1_000_000;
    let body = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=30000&newClientOrderId=load-{client}-{n}\
         &newOrderRespType=ACK&timestamp={now_ms}"
    );
    let body = format!("{body}&signature={}", sign(DOCS_SECRET, &body));
    format!(
        "POST /api/v3/order HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: {DOCS_API_KEY}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Writes one request and reads its answer: (status, body).
async fn exchange(stream: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<(u16, String)> {
    stream.get_mut().write_all(request).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not an HTTP status line: {line:?}"))
    })?;
    let mut length = 0usize;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// This process's resident memory (Linux `/proc/self/status`), in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

pub fn table(r: &LoadBench) -> String {
    let mut out = format!(
        "venue load: {:?} from {} clients for {:.0} s: {} requests ({:.0}/s), {} errors\n\
         latency (us)  p50 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}\n\
         rss at start {:.1} MB\n{:>8} {:>10} {:>10} {:>8}\n",
        r.endpoint,
        r.clients,
        r.seconds,
        r.requests,
        r.per_second,
        r.errors,
        r.p50_us,
        r.p99_us,
        r.p999_us,
        r.max_us,
        r.rss_start_mb,
        "until s",
        "requests",
        "per s",
        "rss MB"
    );
    if r.by_endpoint.len() > 1 {
        let mut apart = String::new();
        for l in &r.by_endpoint {
            apart += &format!(
                "  {:?}: {} requests, p50 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0} us\n",
                l.endpoint, l.requests, l.p50_us, l.p99_us, l.p999_us, l.max_us
            );
        }
        out.insert_str(out.find("rss at start").unwrap_or(0), &apart);
    }
    for s in &r.slices {
        out += &format!("{:>8.0} {:>10} {:>10.0} {:>8.1}\n", s.end_s, s.requests, s.per_second, s.rss_mb);
    }
    if let Some(e) = &r.first_error {
        out += &format!("first error: {e}\n");
    }
    out
}
