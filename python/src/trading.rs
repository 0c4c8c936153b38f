//! Paper and live trading from Python: `py_rt.Paper` and `py_rt.Live`.
//!
//! A [`Session`] runs one `pyrt_session` run (the node between a venue's
//! ports) on a thread of its own, so the interpreter stays free while it
//! trades: a notebook can read `status()` or stop it, and a script waits
//! in `wait()` with the GIL released. The strategy is a built-in one or a
//! `py_rt.Strategy` object, the same object that backtests: its callbacks
//! run on the session's thread, each taking the GIL for its own duration
//! only.
//!
//! A session ends when asked (`stop()`), after its duration, or when the
//! strategy raises. Each way goes through the node's stop (open orders
//! cancelled unless `keep_open`, the venue's last answers awaited), so a
//! strategy's exception never leaves orders working unwatched. The
//! exception comes back from `result()` with its traceback, beside the
//! report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyrt_engine::Strategy;
use pyrt_live::StatusSink;
use pyrt_session::checks::{check_encrypted, check_order_cap, check_run_id, required_env};
use pyrt_session::{Credentials, RecordedStrategy, SessionOptions, SessionReport};

use crate::strategy::{ErrorSlot, Hooks, PyStrategy};

/// A session's settings, as `py_rt.Paper`/`py_rt.Live` pass them.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct SessionSettings {
    live: bool,
    venue: String,
    ws: Option<String>,
    user_ws: Option<String>,
    ca_file: Option<PathBuf>,
    symbol: String,
    bar: String,
    api_key: Option<String>,
    secret: Option<String>,
    risk_limits: Option<String>,
    run_id: String,
    keep_open: bool,
    duration_s: Option<f64>,
    record: Option<PathBuf>,
    resume: bool,
}

impl SessionSettings {
    /// The session's options, with a live session's checks applied.
    fn check(self) -> PyResult<(SessionOptions, Option<Duration>)> {
        let err = |e: anyhow::Error| PyValueError::new_err(format!("{e:#}"));
        check_run_id("run_id=", &self.run_id).map_err(err)?;
        if self.duration_s.is_some_and(|d| !(d > 0.0 && d.is_finite())) {
            return Err(PyValueError::new_err(
                "duration must be a number of seconds above 0, or None to run until stopped",
            ));
        }
        let env = |name: &str| std::env::var(name).ok();
        let credentials = match (self.api_key, self.secret) {
            (Some(api_key), Some(secret)) => Credentials { api_key, secret },
            (Some(_), None) | (None, Some(_)) => {
                return Err(PyValueError::new_err(
                    "give both api_key= and secret=, or neither (then BINANCE_API_KEY and BINANCE_API_SECRET are read)",
                ));
            }
            (None, None) if self.live => Credentials {
                api_key: required_env("BINANCE_API_KEY", env).map_err(err)?,
                secret: required_env("BINANCE_API_SECRET", env).map_err(err)?,
            },
            (None, None) => {
                let example = Credentials::local_example();
                Credentials {
                    api_key: env("BINANCE_API_KEY").unwrap_or(example.api_key),
                    secret: env("BINANCE_API_SECRET").unwrap_or(example.secret),
                }
            }
        };
        let risk = self
            .risk_limits
            .as_deref()
            .map(pyrt_risk::RiskLimits::from_toml)
            .transpose()
            .map_err(|e| PyValueError::new_err(format!("risk_limits: {e}")))?;
        if self.live {
            check_encrypted("venue=", &self.venue, "https").map_err(err)?;
            let Some(ws) = &self.ws else {
                return Err(PyValueError::new_err(
                    "Live needs ws= (the venue's market streams, e.g. wss://stream.binance.com:9443)",
                ));
            };
            check_encrypted("ws=", ws, "wss").map_err(err)?;
            if let Some(user_ws) = &self.user_ws {
                check_encrypted("user_ws=", user_ws, "wss").map_err(err)?;
            }
            check_order_cap("risk_limits=", risk.as_ref()).map_err(err)?;
        }
        let tls = pyrt_adapters::tls::client_config(self.ca_file.as_deref())
            .map_err(|e| PyValueError::new_err(format!("ca_file: {e}")))?;
        let bars = self.bar.parse().map_err(|e| PyValueError::new_err(format!("bar `{}`: {e}", self.bar)))?;
        let options = SessionOptions {
            venue: self.venue,
            ws: self.ws,
            user_ws: self.user_ws,
            tls,
            symbol: self.symbol,
            bars,
            credentials,
            risk,
            run_id: self.run_id,
            keep_open: self.keep_open,
            record: self.record,
            resume: self.resume,
        };
        Ok((options, self.duration_s.map(Duration::from_secs_f64)))
    }
}

/// The strategy a session trades.
enum StrategySpec {
    Builtin {
        name: String,
        params: BTreeMap<String, String>,
    },
    /// `params`: what it was given, as text, for the recording.
    Python {
        obj: Py<PyAny>,
        hooks: Hooks,
        name: String,
        params: BTreeMap<String, String>,
    },
}

/// Everything the session's thread needs, until it starts.
struct Launch {
    options: SessionOptions,
    duration: Option<Duration>,
    strategy: StrategySpec,
}

/// How a session ended.
enum Outcome {
    /// It ran and stopped; `error` is the strategy's exception if it raised.
    Stopped { report: Box<SessionReport>, error: Option<PyErr> },
    /// It could not run or could not stop cleanly (the venue, the node, a panic).
    Failed(String),
}

/// What the session's thread and Python share.
struct Shared {
    status: StatusSink,
    stop: tokio::sync::watch::Sender<bool>,
    /// Whether the session has finished, and how (until `result()` takes it).
    end: Mutex<(bool, Option<Outcome>)>,
    done: Condvar,
}

impl Shared {
    fn finish(&self, outcome: Outcome) {
        *self.end.lock().unwrap_or_else(|p| p.into_inner()) = (true, Some(outcome));
        self.done.notify_all();
    }
}

/// One paper or live session (`py_rt.Paper`/`py_rt.Live` wrap it).
#[pyclass(name = "Session", module = "py_rt")]
pub struct Session {
    shared: Arc<Shared>,
    launch: Mutex<Option<Launch>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[pymethods]
impl Session {
    /// `strategy` is a built-in strategy's name (with `params`) or a
    /// `py_rt.Strategy` instance (with the callbacks it overrides in
    /// `hooks`; `params` then only describe it in a recording).
    #[new]
    fn new(
        settings: SessionSettings,
        strategy: Bound<'_, PyAny>,
        params: BTreeMap<String, String>,
        hooks: Vec<String>,
    ) -> PyResult<Self> {
        let (options, duration) = settings.check()?;
        let strategy = match strategy.extract::<String>() {
            Ok(name) => {
                // Build once now so a bad name or parameter fails here, not on the thread.
                pyrt_strategies::build(&name, &params).map_err(|e| PyValueError::new_err(e.to_string()))?;
                StrategySpec::Builtin { name, params }
            }
            Err(_) => {
                let name = strategy.get_type().name()?.to_string();
                StrategySpec::Python { obj: strategy.unbind(), hooks: Hooks::from_names(&hooks)?, name, params }
            }
        };
        let (stop, _) = tokio::sync::watch::channel(false);
        let shared =
            Shared { status: StatusSink::default(), stop, end: Mutex::new((false, None)), done: Condvar::new() };
        Ok(Self {
            shared: Arc::new(shared),
            launch: Mutex::new(Some(Launch { options, duration, strategy })),
            thread: Mutex::new(None),
        })
    }

    /// Starts trading on the session's own thread; returns at once.
    fn start(&self) -> PyResult<()> {
        let launch = self.launch.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(launch) = launch else {
            return Err(PyRuntimeError::new_err("this session was already started; create a new one to trade again"));
        };
        let shared = self.shared.clone();
        let thread = std::thread::Builder::new()
            .name("py_rt-session".into())
            .spawn(move || {
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| trade(launch, &shared)));
                let outcome = run.unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Outcome::Failed(format!("the session panicked: {why}"))
                });
                shared.finish(outcome);
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the session's thread: {e}")))?;
        *self.thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread);
        Ok(())
    }

    /// Asks the session to stop (it cancels open orders unless keep_open,
    /// then finishes); returns at once. `wait()` for the end.
    fn stop(&self) {
        self.shared.stop.send_replace(true);
    }

    /// Waits up to `timeout` seconds (forever if None) with the GIL
    /// released; True once the session has finished.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        if self.launch.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Err(PyRuntimeError::new_err("the session has not been started"));
        }
        let timeout = timeout.map(|t| Duration::from_secs_f64(t.max(0.0)));
        let shared = self.shared.clone();
        let done = py.detach(move || {
            let guard = shared.end.lock().unwrap_or_else(|p| p.into_inner());
            let running = |end: &mut (bool, Option<Outcome>)| !end.0;
            match timeout {
                None => shared.done.wait_while(guard, running).map(|g| g.0).unwrap_or(true),
                Some(t) => shared.done.wait_timeout_while(guard, t, running).map(|(g, _)| g.0).unwrap_or(true),
            }
        });
        if done {
            // The thread ends right after it reports; reap it off the GIL.
            let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(thread) = thread {
                let _ = py.detach(move || thread.join());
            }
        }
        Ok(done)
    }

    /// The session's state now, as JSON (`py_rt` turns it into a dict).
    fn status_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.shared.status.snapshot()).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// After the end: `(report JSON, report table, strategy exception or
    /// None)`; raises if the session could not run. Taken once.
    fn result(&self, py: Python<'_>) -> PyResult<(String, String, Option<Py<PyAny>>)> {
        let outcome = self.shared.end.lock().unwrap_or_else(|p| p.into_inner()).1.take();
        match outcome {
            None => Err(PyRuntimeError::new_err("the session has not finished (or its result was already taken)")),
            Some(Outcome::Failed(why)) => Err(PyRuntimeError::new_err(why)),
            Some(Outcome::Stopped { report, error }) => {
                let json = serde_json::to_string(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
                let error = error.map(|e| e.into_value(py).into_any());
                Ok((json, report.to_string(), error))
            }
        }
    }
}

/// The session's thread: a runtime, the strategy, the run.
fn trade(launch: Launch, shared: &Shared) -> Outcome {
    let Launch { options, duration, strategy } = launch;
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("cannot start the session's runtime: {e}")),
    };
    let error = ErrorSlot::default();
    let (strategy, described): (Box<dyn Strategy>, RecordedStrategy) = match strategy {
        StrategySpec::Builtin { name, params } => match pyrt_strategies::build(&name, &params) {
            Ok(s) => (s, RecordedStrategy { name, params, kind: "builtin".into() }),
            Err(e) => return Outcome::Failed(e.to_string()),
        },
        StrategySpec::Python { obj, hooks, name, params } => {
            let symbols = vec![options.symbol.clone()];
            match Python::attach(|py| PyStrategy::new(py, obj, symbols, hooks, error.clone())) {
                Ok(s) => (Box::new(s), RecordedStrategy { name, params, kind: "python".into() }),
                Err(e) => return Outcome::Failed(e.to_string()),
            }
        }
    };
    let mut stop = shared.stop.subscribe();
    let failed = error.clone();
    let shutdown = async move {
        let strategy_raised = async {
            // The strategy's callbacks run on this thread; a raise shows
            // in the slot before the next poll.
            let mut poll = tokio::time::interval(Duration::from_millis(20));
            while failed.borrow().is_none() {
                poll.tick().await;
            }
        };
        let ran_out = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => {}
            _ = ran_out => {}
            _ = strategy_raised => {}
        }
    };
    let sinks: Vec<Box<dyn pyrt_engine::EventSink>> = vec![Box::new(shared.status.clone())];
    let run = runtime.block_on(pyrt_session::run(options, strategy, described, sinks, shutdown));
    let error = error.borrow_mut().take();
    match run {
        Ok(report) => Outcome::Stopped { report: Box::new(report), error },
        Err(e) => Outcome::Failed(format!("{e:#}")),
    }
}
