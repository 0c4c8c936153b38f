//! The options a Python strategy's order takes beside its kind: time in
//! force, post-only, reduce-only, read from keyword arguments and checked.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyrt_model::{OrderRequest, TimeInForce};

/// The options every order takes: time in force, post-only, reduce-only.
pub struct Options {
    pub tif: String,
    pub good_till: Option<i64>,
    pub post_only: bool,
    pub reduce_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { tif: "gtc".into(), good_till: None, post_only: false, reduce_only: false }
    }
}

impl Options {
    pub fn apply(&self, mut request: OrderRequest) -> PyResult<OrderRequest> {
        request.tif = match (self.tif.to_ascii_lowercase().as_str(), self.good_till) {
            ("gtc", None) => TimeInForce::Gtc,
            ("ioc", None) => TimeInForce::Ioc,
            ("fok", None) => TimeInForce::Fok,
            ("day", None) => TimeInForce::Day,
            ("gtd", Some(ts)) => TimeInForce::Gtd(ts),
            ("gtd", None) => return Err(PyValueError::new_err("tif=\"gtd\" needs good_till= (Unix ns)")),
            (_, Some(_)) => return Err(PyValueError::new_err("good_till= goes with tif=\"gtd\" only")),
            (other, None) => {
                return Err(PyValueError::new_err(format!("tif `{other}`: use gtc, ioc, fok, day or gtd")));
            }
        };
        if self.post_only && !matches!(request.kind, pyrt_model::OrderKind::Limit { .. }) {
            return Err(PyValueError::new_err("post_only=True is for limit orders (give limit=)"));
        }
        request.post_only = self.post_only;
        request.reduce_only = self.reduce_only;
        Ok(request)
    }
}
