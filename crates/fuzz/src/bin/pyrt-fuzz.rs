//! `pyrt-fuzz`: a mutation campaign over the fuzz targets.
//!
//! For each target, inputs from `corpus/<target>/` are mutated (seeded, so
//! a campaign repeats) and run; an input that panics is written to
//! `crashes/<target>/` and reported. An input whose outcome (accepted, or
//! the kind of error) was not seen before joins the in-memory corpus, a
//! coarse stand-in for coverage feedback. Prints executions per target.
//!
//! ```text
//! cargo run --release -p pyrt-fuzz -- --seconds 600            # every target, 10 minutes each
//! cargo run --release -p pyrt-fuzz -- --target decimal --seconds 60
//! ```

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use pyrt_fuzz::mutate::Mutator;
use pyrt_fuzz::{TARGETS, Target};

#[derive(Parser)]
#[command(name = "pyrt-fuzz", about = "Mutation fuzzing of py_rt's parsers (stable toolchain)")]
struct Args {
    /// Run only this target (default: all, one after another).
    #[arg(long)]
    target: Option<String>,
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seed of the mutations.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The corpus directory (one folder per target).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))]
    corpus: PathBuf,
    /// Where panicking inputs are written.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/crashes"))]
    crashes: PathBuf,
    /// Largest input, in bytes.
    #[arg(long, default_value_t = 4096)]
    max_len: usize,
}

fn main() -> Result<()> {
    // Findings go to stderr through `tracing` (`RUST_LOG` sets the level);
    // the table of executions is the result, on stdout.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args = Args::parse();
    let targets: Vec<&Target> = match &args.target {
        Some(name) => vec![pyrt_fuzz::target(name).with_context(|| {
            format!(
                "unknown target `{name}`; targets: {}",
                TARGETS.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
            )
        })?],
        None => TARGETS.iter().collect(),
    };
    // Panics are findings, reported once per input below, not on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = false;
    println!("{:<16} {:>12} {:>10} {:>8} {:>8}", "target", "executions", "per sec", "corpus", "panics");
    for target in targets {
        let report = campaign(target, &args)?;
        failed |= report.crashes > 0;
        println!(
            "{:<16} {:>12} {:>10.0} {:>8} {:>8}",
            target.name, report.executions, report.per_sec, report.corpus, report.crashes
        );
    }
    if failed {
        bail!("crashing inputs written to {}", args.crashes.display());
    }
    Ok(())
}

struct Report {
    executions: u64,
    per_sec: f64,
    corpus: usize,
    crashes: usize,
}

fn load(dir: &Path) -> Result<Vec<Vec<u8>>> {
    let mut inputs = Vec::new();
    if dir.is_dir() {
        let mut paths: Vec<_> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        paths.sort();
        for p in paths {
            inputs.push(std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?);
        }
    }
    if inputs.is_empty() {
        inputs.push(Vec::new());
    }
    Ok(inputs)
}

/// What an input did, coarsely: the first words of its panic, or ok.
fn outcome(target: &Target, input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| (target.run)(input))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

fn campaign(target: &Target, args: &Args) -> Result<Report> {
    let mut corpus = load(&args.corpus.join(target.name))?;
    let mut mutator = Mutator::new(args.seed);
    let mut seen_lengths: HashSet<(usize, u8)> = HashSet::new();
    // Each distinct panic message is written once (the first, shortest-found input).
    let mut seen_crashes: HashSet<String> = HashSet::new();
    let (mut executions, mut crashes) = (0u64, 0usize);
    let start = Instant::now();
    let deadline = Duration::from_secs(args.seconds);
    while start.elapsed() < deadline {
        for _ in 0..64 {
            let a = mutator.below(corpus.len());
            let b = mutator.below(corpus.len());
            let input = mutator.mutate(&corpus[a], &corpus[b], args.max_len);
            executions += 1;
            match outcome(target, &input) {
                Ok(()) => {
                    // Keep inputs of new shape (length bucket, first byte class),
                    // so mutations do not only ever start from the seeds.
                    let shape = (
                        input.len().next_power_of_two().trailing_zeros() as usize,
                        input.first().map_or(0, |b| b >> 5),
                    );
                    if seen_lengths.insert(shape) && corpus.len() < 4096 {
                        corpus.push(input);
                    }
                }
                Err(message) => {
                    crashes += 1;
                    let kind: String = message.chars().filter(|c| !c.is_ascii_digit()).collect();
                    if !seen_crashes.insert(kind) {
                        continue;
                    }
                    let dir = args.crashes.join(target.name);
                    std::fs::create_dir_all(&dir)?;
                    let path = dir.join(format!("crash-{executions}"));
                    std::fs::write(&path, &input)?;
                    tracing::warn!(
                        target = target.name,
                        bytes = input.len(),
                        saved = %path.display(),
                        "panic: {message}"
                    );
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(Report { executions, per_sec: executions as f64 / secs, corpus: corpus.len(), crashes })
}
