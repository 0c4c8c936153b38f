//! Diagnostics through `tracing`: every line a `pyrt` command writes to
//! stderr that is not its result.
//!
//! * `RUST_LOG` sets the levels (`info` by default; `RUST_LOG=debug`,
//!   `RUST_LOG=pyrt_live=trace`, ...);
//! * `--log-format text` (the default) writes `warning: ...` / `error: ...`
//!   lines for people; `--log-format json` one JSON object a line, with
//!   time, level, target, fields and spans, for machines;
//! * the transport crates (hyper, reqwest, tungstenite, rustls, h2) are held
//!   at `info` whatever `RUST_LOG` asks: their debug lines would carry
//!   request lines, and a signed request's query carries its signature.
//!   Our own code never logs a key, a secret or a signature (a test greps
//!   every line of a signed session at `trace` for them).

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::LogFormat;

/// Crates that must not log below `info` (see the module docs).
const TRANSPORT: &[&str] = &["hyper", "hyper_util", "reqwest", "tungstenite", "tokio_tungstenite", "rustls", "h2"];

pub fn init(format: LogFormat) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for target in TRANSPORT {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a valid directive"));
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests calling `run` twice) keeps the first.
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).try_init(),
        LogFormat::Text => builder.event_format(Human).try_init(),
    };
}

/// `warning: message key=value` (in `span{field}:` context), as a person reads it.
struct Human;

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            Level::INFO => "",
            Level::DEBUG => "debug: ",
            Level::TRACE => "trace: ",
        };
        w.write_str(level)?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                write!(w, "{}", span.name())?;
                if let Some(fields) = span.extensions().get::<tracing_subscriber::fmt::FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(w, "{{{fields}}}")?;
                }
                w.write_str(": ")?;
            }
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}
