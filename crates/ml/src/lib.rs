//! ONNX models in the Rust kernel: Python trains, Rust trades.
//!
//! A model trained in Python (scikit-learn, LightGBM, XGBoost) and exported
//! to ONNX is loaded once with [`Model::load`] and asked for one row at a
//! time with [`Model::predict`], the way a strategy asks on each bar.
//!
//! ONNX Runtime is not built into py_rt: `ort`'s `load-dynamic` opens the
//! library of the `onnxruntime` Python wheel (1.31, the API `ort` is built
//! against) at run time. [`Runtime::load`] finds it through
//! `ORT_DYLIB_PATH`, else in the wheel of the active virtual environment or
//! of a `.venv` in the working directory or above it (so `pyrt backtest
//! --strategy model` works from a checkout set up by the README); a caller
//! that knows where the wheel is (the Python package) passes its path to
//! [`Runtime::from_library`]. Nothing is downloaded at build time.
//!
//! What a model predicts is its first floating-point tensor output: a
//! regressor's value, or a binary classifier's probability of class 1
//! (the second column of its probabilities; export classifiers with
//! `zipmap=False`, as a map output is not a tensor). A model must take one
//! float tensor of shape `[rows, features]`; its width is checked against
//! every row, so a model trained on other features fails before the first
//! bar, not in the middle of a run.

mod card;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use card::{CARD_FORMAT, ModelCard, Predictor};

use ort::environment::Environment;
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};

/// What went wrong, naming the model or the library and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MlError {
    #[error(
        "the ONNX Runtime library could not be loaded{}: {reason}; install it with \
         `pip install onnxruntime==1.31.1` (py_rt finds the wheel's library), or set ORT_DYLIB_PATH to \
         libonnxruntime.so",
        .path.as_ref().map(|p| format!(" from {}", p.display())).unwrap_or_default()
    )]
    Runtime { path: Option<PathBuf>, reason: String },
    #[error("model {path}: {reason}")]
    Model { path: String, reason: String },
    #[error("model {path} takes {expected} features per row, and {got} were given")]
    Width { path: String, expected: usize, got: usize },
    #[error("model {path} failed on a row: {reason}")]
    Predict { path: String, reason: String },
    #[error("model card {path}: {reason}")]
    Card { path: String, reason: String },
}

/// The ONNX Runtime library, loaded once per process.
#[derive(Debug, Clone)]
pub struct Runtime(Environment);

static RUNTIME: OnceLock<Result<Runtime, MlError>> = OnceLock::new();

/// The library a host named for [`Runtime::load`] (the Python package: its
/// installed wheel's), used when `ORT_DYLIB_PATH` is not set.
static DEFAULT_LIBRARY: OnceLock<PathBuf> = OnceLock::new();

impl Runtime {
    /// The library `ORT_DYLIB_PATH` names, else the one a host named with
    /// [`Runtime::set_default_library`], else the one in the onnxruntime
    /// wheel of the active virtual environment (`VIRTUAL_ENV`), else of a
    /// `.venv` in the working directory or a folder above it.
    pub fn load() -> Result<Runtime, MlError> {
        let path = locate(
            std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from).or_else(|| DEFAULT_LIBRARY.get().cloned()),
            std::env::var_os("VIRTUAL_ENV").map(PathBuf::from),
            std::env::current_dir().ok(),
        )?;
        Self::from_library(&path)
    }

    /// Names the library [`Runtime::load`] opens when `ORT_DYLIB_PATH` is
    /// not set, without loading it (the first name given stays).
    pub fn set_default_library(path: &Path) {
        let _ = DEFAULT_LIBRARY.set(path.to_path_buf());
    }

    /// The runtime already loaded in this process (by [`Runtime::from_library`],
    /// e.g. from the Python package), else the one [`Runtime::load`] finds.
    pub fn current() -> Result<Runtime, MlError> {
        match RUNTIME.get() {
            Some(loaded) => loaded.clone(),
            None => Self::load(),
        }
    }

    /// The library at `path`. The first call loads it; later calls get the
    /// same runtime (a process holds one ONNX Runtime).
    pub fn from_library(path: &Path) -> Result<Runtime, MlError> {
        RUNTIME
            .get_or_init(|| {
                let fail = |reason: String| MlError::Runtime { path: Some(path.to_path_buf()), reason };
                if !path.is_file() {
                    return Err(fail("no such file".into()));
                }
                let builder = ort::init_from(path).map_err(|e| fail(e.to_string()))?;
                builder.with_name("py_rt").build().map(Runtime).map_err(|e| fail(e.to_string()))
            })
            .clone()
    }
}

/// Where ONNX Runtime's library is: `explicit` (`ORT_DYLIB_PATH`) when
/// given, else the onnxruntime wheel's in `virtual_env` or in a `.venv` in
/// `cwd` or above it (what `pip install onnxruntime` puts there).
fn locate(explicit: Option<PathBuf>, virtual_env: Option<PathBuf>, cwd: Option<PathBuf>) -> Result<PathBuf, MlError> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let mut envs: Vec<PathBuf> = virtual_env.into_iter().collect();
    if let Some(cwd) = &cwd {
        envs.extend(cwd.ancestors().map(|d| d.join(".venv")));
    }
    envs.iter().find_map(|env| wheel_library(env)).ok_or_else(|| MlError::Runtime {
        path: None,
        reason: format!(
            "ORT_DYLIB_PATH is not set, and no onnxruntime wheel was found in VIRTUAL_ENV or in a .venv in {} or \
             above it",
            cwd.as_deref().map_or("the working directory".into(), |c| c.display().to_string())
        ),
    })
}

/// `<env>/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so*`,
/// the first by name when there are several.
fn wheel_library(env: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(env.join("lib"))
        .ok()?
        .flatten()
        .filter(|python| python.file_name().to_string_lossy().starts_with("python3"))
        .filter_map(|python| std::fs::read_dir(python.path().join("site-packages/onnxruntime/capi")).ok())
        .flat_map(|capi| capi.flatten().map(|f| f.path()))
        .filter(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so")))
        .collect();
    found.sort();
    found.into_iter().next()
}

/// A loaded model, answering one row at a time.
pub struct Model {
    path: String,
    session: Session,
    input: String,
    width: usize,
    output: usize,
    /// Which column of the output is the prediction (1: a binary
    /// classifier's probability of class 1).
    column: usize,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).field("width", &self.width).finish()
    }
}

impl Model {
    /// Loads `path` and checks that it takes one float row of features and
    /// has a float tensor output.
    pub fn load(runtime: &Runtime, path: &Path) -> Result<Model, MlError> {
        let name = path.display().to_string();
        let bad = |reason: String| MlError::Model { path: name.clone(), reason };
        let session =
            Session::builder(&runtime.0).and_then(|mut b| b.commit_from_file(path)).map_err(|e| bad(e.to_string()))?;
        let [input] = session.inputs() else {
            return Err(bad(format!("it takes {} inputs; py_rt feeds one row of features", session.inputs().len())));
        };
        let width = match input.dtype() {
            ValueType::Tensor { ty: TensorElementType::Float32, shape, .. } if shape.len() == 2 && shape[1] > 0 => {
                shape[1] as usize
            }
            other => {
                return Err(bad(format!(
                    "its input `{}` is {other:?}; py_rt feeds a float32 tensor of shape [rows, features]",
                    input.name()
                )));
            }
        };
        let input = input.name().to_string();
        let (output, column) = session
            .outputs()
            .iter()
            .enumerate()
            .find_map(|(i, o)| match o.dtype() {
                ValueType::Tensor { ty: TensorElementType::Float32, shape, .. } => {
                    Some((i, if shape.last() == Some(&2) { 1 } else { 0 }))
                }
                _ => None,
            })
            .ok_or_else(|| bad("it has no float tensor output (export classifiers with zipmap=False)".to_string()))?;
        Ok(Model { path: name, session, input, width, output, column })
    }

    /// How many features a row has.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The prediction for one row of features.
    pub fn predict(&mut self, row: &[f32]) -> Result<f32, MlError> {
        if row.len() != self.width {
            return Err(MlError::Width { path: self.path.clone(), expected: self.width, got: row.len() });
        }
        let fail = |e: ort::Error| MlError::Predict { path: self.path.clone(), reason: e.to_string() };
        let tensor = TensorRef::from_array_view(([1usize, row.len()], row)).map_err(fail)?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(|e| MlError::Predict { path: self.path.clone(), reason: e.to_string() })?;
        let (_, values) = outputs[self.output]
            .try_extract_tensor::<f32>()
            .map_err(|e| MlError::Predict { path: self.path.clone(), reason: e.to_string() })?;
        values.get(self.column).copied().ok_or_else(|| MlError::Predict {
            path: self.path.clone(),
            reason: format!("its output has {} values", values.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_found_in_the_wheel_of_a_virtual_environment() {
        let root = std::env::temp_dir().join(format!("pyrt-locate-{}", std::process::id()));
        let capi = root.join("project/.venv/lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(capi.join("libonnxruntime.so.1.31.1"), b"").unwrap();
        let inside = root.join("project/notebooks/deep");
        std::fs::create_dir_all(&inside).unwrap();
        let want = capi.join("libonnxruntime.so.1.31.1");
        // From a folder below the project, through its .venv.
        assert_eq!(locate(None, None, Some(inside.clone())).unwrap(), want);
        // VIRTUAL_ENV first; ORT_DYLIB_PATH before everything.
        assert_eq!(locate(None, Some(root.join("project/.venv")), None).unwrap(), want);
        let explicit = PathBuf::from("/opt/ort/libonnxruntime.so");
        assert_eq!(locate(Some(explicit.clone()), None, Some(inside)).unwrap(), explicit);
        // Nowhere: the error says where it looked and how to install it.
        let e = locate(None, None, Some(root.join("elsewhere"))).unwrap_err().to_string();
        assert!(e.contains("no onnxruntime wheel was found in VIRTUAL_ENV or in a .venv in"), "{e}");
        assert!(e.contains("pip install onnxruntime==1.31.1"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
