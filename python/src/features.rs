//! Indicators and the feature engine over numpy columns.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyrt_indicators::features::{self, Columns, FeaturePipeline};

/// Feature columns as numpy arrays, in the order of their names.
type Columns1d<'py> = Vec<Bound<'py, PyArray1<f64>>>;

/// Computes the features of `spec` (comma-separated, e.g.
/// `"rsi:14,macd:12:26:9"`) over whole columns.
///
/// Returns the column names and one float64 array per column, each handed
/// to numpy as it came out of the kernel (no copy); the numbers equal the
/// streaming pipeline's, bar by bar, to the bit. `ts` (Unix ns) is needed
/// only by features that follow the calendar (session `vwap`); without it
/// those see every bar on one day.
#[pyfunction]
#[pyo3(signature = (spec, ts, open, high, low, close, volume))]
#[allow(clippy::too_many_arguments)]
pub fn feature_columns<'py>(
    py: Python<'py>,
    spec: &str,
    ts: Option<PyReadonlyArray1<'py, i64>>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
) -> PyResult<(Vec<String>, Columns1d<'py>)> {
    let specs = features::parse(spec).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let names = FeaturePipeline::new(&specs).map_err(|e| PyValueError::new_err(e.to_string()))?.columns().to_vec();
    let ts = ts.as_ref().map(|t| t.as_slice()).transpose()?;
    let (open, high, low, close, volume) =
        (open.as_slice()?, high.as_slice()?, low.as_slice()?, close.as_slice()?, volume.as_slice()?);
    let columns = py.detach(|| {
        // No timestamps: an empty column (a made-up one of zeros was
        // zeroed on every call, from reused memory).
        let cols = Columns { ts: ts.unwrap_or(&[]), open, high, low, close, volume };
        features::compute_columns(&specs, &cols)
    });
    let columns = columns.map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((names, columns.into_iter().map(|col| PyArray1::from_vec(py, col)).collect()))
}

/// Every feature name the spec language accepts.
#[pyfunction]
pub fn feature_names() -> Vec<&'static str> {
    features::feature_names()
}

/// One catalog entry as Python sees it: `(name, family, formula,
/// definition, columns, warm_up)`.
type CatalogRow = (&'static str, &'static str, &'static str, String, Vec<String>, usize);

/// The feature catalog, one row per entry, in catalog order.
#[pyfunction]
pub fn feature_catalog() -> Vec<CatalogRow> {
    features::catalog().into_iter().map(|e| (e.name, e.family, e.formula, e.definition, e.columns, e.warm_up)).collect()
}

/// The feature pipeline one bar at a time, as a live strategy runs it:
/// the same code as [`feature_columns`], so the numbers are identical.
#[pyclass(unsendable, module = "py_rt._py_rt")]
pub struct FeatureStream {
    pipeline: FeaturePipeline,
}

#[pymethods]
impl FeatureStream {
    #[new]
    fn new(spec: &str) -> PyResult<Self> {
        let pipeline = FeaturePipeline::from_spec(spec).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self { pipeline })
    }

    /// The column names, in the order `update` returns them.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.pipeline.columns().to_vec()
    }

    /// Feeds one bar (`ts` in Unix nanoseconds); returns one value per
    /// column, NaN while a feature warms up.
    #[pyo3(signature = (ts, open, high, low, close, volume))]
    #[allow(clippy::too_many_arguments)]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        ts: i64,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let candle = pyrt_indicators::Candle { ts, open, high, low, close, volume };
        let mut row = vec![0.0; self.pipeline.columns().len()];
        self.pipeline.update(&candle, &mut row).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyArray1::from_vec(py, row))
    }
}

/// The rows before every feature of `spec` has a value (the largest
/// warm-up of its features).
#[pyfunction]
pub fn feature_warm_up(spec: &str) -> PyResult<usize> {
    let specs = features::parse(spec).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let each = specs.iter().map(features::warm_up).collect::<Result<Vec<_>, _>>();
    Ok(each.map_err(|e| PyValueError::new_err(e.to_string()))?.into_iter().max().unwrap_or(0))
}
