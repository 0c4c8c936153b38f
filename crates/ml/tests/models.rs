//! Loading and asking the committed test models (`tests/data/make_models.py`)
//! through the ONNX Runtime library `ORT_DYLIB_PATH` names (the test
//! command sets it to the onnxruntime wheel's library).

use std::path::{Path, PathBuf};

use pyrt_ml::{MlError, Model, Runtime};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn runtime() -> Option<Runtime> {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("skipped: ORT_DYLIB_PATH is not set (scripts/test.sh sets it to the onnxruntime wheel's library)");
        return None;
    }
    Some(Runtime::load().expect("the library ORT_DYLIB_PATH names loads"))
}

#[test]
fn a_regressor_predicts_its_formula_row_by_row() {
    let Some(rt) = runtime() else { return };
    let mut m = Model::load(&rt, &data("linear.onnx")).unwrap();
    assert_eq!(m.width(), 3);
    // y = 0.5 x0 - 2 x1 + 0.25 x2 + 1.5
    for row in [[1.0f32, 2.0, 3.0], [0.0, 0.0, 0.0], [-4.0, 0.5, 8.0]] {
        let want = 0.5 * row[0] - 2.0 * row[1] + 0.25 * row[2] + 1.5;
        assert_eq!(m.predict(&row).unwrap(), want, "{row:?}");
    }
}

#[test]
fn a_classifier_gives_the_probability_of_class_one() {
    let Some(rt) = runtime() else { return };
    let mut m = Model::load(&rt, &data("classifier.onnx")).unwrap();
    let p = m.predict(&[0.3, 0.1]).unwrap();
    let want = 1.0 / (1.0 + (-(0.3f64 - 0.1 + 0.5)).exp());
    assert!((p as f64 - want).abs() < 1e-6, "{p} vs {want}");
}

#[test]
fn wrong_inputs_are_clear_errors() {
    let Some(rt) = runtime() else { return };
    let mut m = Model::load(&rt, &data("linear.onnx")).unwrap();
    let e = m.predict(&[1.0, 2.0]).unwrap_err();
    assert!(matches!(e, MlError::Width { expected: 3, got: 2, .. }), "{e}");
    assert!(e.to_string().ends_with("takes 3 features per row, and 2 were given"), "{e}");
    let e = Model::load(&rt, &data("int_input.onnx")).unwrap_err().to_string();
    assert!(e.contains("py_rt feeds a float32 tensor of shape [rows, features]"), "{e}");
    let e = Model::load(&rt, &data("missing.onnx")).unwrap_err().to_string();
    assert!(e.starts_with("model ") && e.contains("missing.onnx"), "{e}");
}

#[test]
fn a_missing_library_says_how_to_install_it() {
    // Its own process: a process holds one runtime, and the others load it.
    if std::env::var_os("PYRT_ML_CHILD").is_some() {
        let e = Runtime::from_library(Path::new("/nonexistent/libonnxruntime.so")).unwrap_err().to_string();
        assert!(e.contains("pip install onnxruntime==1.31.1") && e.contains("ORT_DYLIB_PATH"), "{e}");
        assert!(e.contains("from /nonexistent/libonnxruntime.so: no such file"), "{e}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["a_missing_library_says_how_to_install_it", "--exact", "--nocapture"])
        .env("PYRT_ML_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
