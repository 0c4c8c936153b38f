//! `pyrt venue`: the local Binance-compatible exchange, until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result};
use pyrt_venue_server::{DOCS_API_KEY, VenueConfig, spawn};

pub fn run(listen: SocketAddr, seed: u64, step_ms: u64) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let config = VenueConfig { seed, step: Duration::from_millis(step_ms.max(1)), ..VenueConfig::default() };
        let symbols: Vec<_> = config.symbols.iter().map(|s| s.symbol.clone()).collect();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let (venue, server) =
            spawn(config, listen, shutdown).await.with_context(|| format!("cannot listen on {listen}"))?;
        // Tests and scripts read the address from this first line.
        println!("pyrt venue listening on http://{}", venue.address);
        println!("symbols: {}; API key: {DOCS_API_KEY} (the Binance docs' example key and secret)", symbols.join(", "));
        std::io::stdout().flush()?;
        server.await.context("the server task failed")??;
        eprintln!("pyrt venue stopped");
        Ok(())
    })
}
