//! `py_rt._py_rt`: the compiled half of the `py_rt` Python package.
//!
//! The bindings stay thin: they borrow numpy arrays as slices, call the
//! same crates the `pyrt` binary uses, and hand plain arrays and JSON back.
//! The pandas-facing API (`Backtest`, `Result`, `ta`, `features`) is Python
//! in `python/py_rt/`, where DataFrame handling belongs.
//!
//! Every long computation runs with the interpreter detached (the GIL
//! released), so Python threads keep running and a thread pool can run
//! several backtests at once.

mod algos;
mod backtest;
mod callback_args;
mod context;
mod divergence;
mod features;
mod huge_pages;
mod ml;
mod order_options;
mod strategy;
mod targets;
mod trading;

#[global_allocator]
static ALLOCATOR: huge_pages::HugePageAlloc = huge_pages::HugePageAlloc;

use pyo3::prelude::*;

/// The compiled half of py_rt; use the `py_rt` package rather than this.
#[pymodule]
fn _py_rt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(backtest::run_backtest, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::run_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::run_python_strategy, m)?)?;
    m.add_class::<context::PyContext>()?;
    m.add_class::<callback_args::PyBar>()?;
    m.add_class::<callback_args::PyTrade>()?;
    m.add_class::<callback_args::PyQuote>()?;
    m.add_class::<callback_args::PyBookDelta>()?;
    m.add_class::<callback_args::PyFill>()?;
    m.add_class::<callback_args::PyOrderUpdate>()?;
    m.add_class::<callback_args::PyAlgoUpdate>()?;
    m.add_class::<trading::Session>()?;
    m.add_function(wrap_pyfunction!(divergence::divergence_report, m)?)?;
    m.add_function(wrap_pyfunction!(backtest::strategy_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(features::feature_columns, m)?)?;
    m.add_function(wrap_pyfunction!(features::feature_names, m)?)?;
    m.add_function(wrap_pyfunction!(features::feature_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(features::feature_warm_up, m)?)?;
    m.add_class::<features::FeatureStream>()?;
    m.add_function(wrap_pyfunction!(ml::onnx_predict, m)?)?;
    m.add_function(wrap_pyfunction!(ml::register_onnx_library, m)?)?;
    Ok(())
}
