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

/// Names the ONNX Runtime library (the installed wheel's) that a model
/// strategy opens when `ORT_DYLIB_PATH` is not set; nothing is loaded now.
#[pyfunction]
pub fn register_onnx_library(library: &str) {
    pyrt_ml::Runtime::set_default_library(Path::new(library));
}
