//! Indicators and the feature engine over numpy columns.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyrt_indicators::features::{self, Columns, FeaturePipeline};

/// Computes the features of `spec` (comma-separated, e.g.
/// `"rsi:14,macd:12:26:9"`) over whole columns.
///
/// Returns the column names and a `(rows, columns)` float64 matrix; the
/// numbers equal the streaming pipeline's, bar by bar, to the bit.
#[pyfunction]
#[pyo3(signature = (spec, ts, open, high, low, close, volume))]
#[allow(clippy::too_many_arguments)]
pub fn compute_features<'py>(
    py: Python<'py>,
    spec: &str,
    ts: PyReadonlyArray1<'py, i64>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
) -> PyResult<(Vec<String>, Bound<'py, PyArray2<f64>>)> {
    let specs = features::parse(spec).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let names = FeaturePipeline::new(&specs).map_err(|e| PyValueError::new_err(e.to_string()))?.columns().to_vec();
    let cols = Columns {
        ts: ts.as_slice()?,
        open: open.as_slice()?,
        high: high.as_slice()?,
        low: low.as_slice()?,
        close: close.as_slice()?,
        volume: volume.as_slice()?,
    };
    let n = cols.close.len();
    let computed = py.detach(|| {
        let columns = features::compute_columns(&specs, &cols)?;
        // Row-major for numpy: one row per bar.
        let mut flat = vec![0.0; n * columns.len()];
        for (j, col) in columns.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                flat[i * columns.len() + j] = *v;
            }
        }
        Ok::<_, features::SpecError>(flat)
    });
    let flat = computed.map_err(|e| PyValueError::new_err(e.to_string()))?;
    let matrix = numpy::PyArray1::from_vec(py, flat).reshape([n, names.len()])?;
    Ok((names, matrix))
}

/// The columns of one indicator spec (`py_rt.ta`), each handed to numpy
/// as it came out of the kernel: no timestamps to build, no row-major
/// matrix, no copies. Features that need timestamps are not offered here.
#[pyfunction]
#[pyo3(signature = (spec, open, high, low, close, volume))]
pub fn indicator_columns<'py>(
    py: Python<'py>,
    spec: &str,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
    let specs = features::parse(spec).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let (open, high, low, close, volume) =
        (open.as_slice()?, high.as_slice()?, low.as_slice()?, close.as_slice()?, volume.as_slice()?);
    let columns = py.detach(|| {
        // Zeroed pages that are never touched cost nothing.
        let ts = vec![0i64; close.len()];
        let cols = Columns { ts: &ts, open, high, low, close, volume };
        features::compute_columns(&specs, &cols)
    });
    let columns = columns.map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(columns.into_iter().map(|col| PyArray1::from_vec(py, col)).collect())
}

/// Every feature name the spec language accepts.
#[pyfunction]
pub fn feature_names() -> Vec<&'static str> {
    features::feature_names()
}
