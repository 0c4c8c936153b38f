//! ONNX models from Python: the same `pyrt_ml::Model` a Rust strategy
//! uses, asked one row at a time, so Python can check its predictions
//! against onnxruntime's before a model trades.

use std::path::Path;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyrt_ml::{Model, Runtime};

/// Predicts every row of `rows` (float32, [n, features]) with the model at
/// `path`, one row at a time, through the ONNX Runtime library at `library`.
#[pyfunction]
pub fn onnx_predict<'py>(
    py: Python<'py>,
    path: &str,
    rows: PyReadonlyArray2<'py, f32>,
    library: &str,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let err = |e: pyrt_ml::MlError| PyValueError::new_err(e.to_string());
    let runtime = Runtime::from_library(Path::new(library)).map_err(err)?;
    let mut model = Model::load(&runtime, Path::new(path)).map_err(err)?;
    let rows = rows.as_array();
    let mut out = Vec::with_capacity(rows.nrows());
    for row in rows.rows() {
        let row: Vec<f32> = row.iter().copied().collect();
        out.push(model.predict(&row).map_err(err)?);
    }
    Ok(out.into_pyarray(py))
}

/// Loads the ONNX Runtime library at `library` for this process, so a
/// model strategy built next (backtest, paper, live) finds it.
#[pyfunction]
pub fn load_onnx_runtime(library: &str) -> PyResult<()> {
    Runtime::from_library(Path::new(library)).map(|_| ()).map_err(|e| PyValueError::new_err(e.to_string()))
}
