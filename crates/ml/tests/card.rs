//! Model cards checked against their model and this build's features, with
//! the committed three-input linear model (`tests/data/linear.onnx`).

use std::path::{Path, PathBuf};

use pyrt_indicators::Candle;
use pyrt_ml::{CARD_FORMAT, Predictor, Runtime};
use sha2::{Digest, Sha256};

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linear.onnx")
}

fn runtime() -> Option<Runtime> {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("skipped: ORT_DYLIB_PATH is not set (scripts/test.sh sets it to the onnxruntime wheel's library)");
        return None;
    }
    Some(Runtime::load().expect("the library ORT_DYLIB_PATH names loads"))
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a card (changed by `edit`) into a fresh directory; returns its path.
fn card(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyrt-card-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut card = serde_json::json!({
        "format": CARD_FORMAT,
        "name": "linear",
        "model_file": model().display().to_string(),
        "model_sha256": sha(&model()),
        "task": "regressor",
        "features": ["ret:1", "rsi:2", "clv"],
        "columns": ["ret:1", "rsi:2", "clv"],
        "warm_up": 2,
        "training": {"rows": 3},
    });
    edit(&mut card);
    let path = dir.join("card.json");
    std::fs::write(&path, serde_json::to_string_pretty(&card).unwrap()).unwrap();
    path
}

fn error(rt: &Runtime, path: &Path) -> String {
    Predictor::open(rt, path).expect_err("the card is refused").to_string()
}

#[test]
fn a_matching_card_predicts_after_the_warm_up_and_never_before() {
    let Some(rt) = runtime() else { return };
    let mut p = Predictor::open(&rt, &card("ok", |_| {})).unwrap();
    let mut features = p.pipeline();
    let mut row = vec![0.0; 3];
    let bars = [(100.0, 101.0, 99.0, 100.5), (100.5, 102.0, 100.0, 101.0), (101.0, 101.5, 99.5, 100.0)];
    for (i, (o, h, l, c)) in bars.into_iter().enumerate() {
        let candle = Candle { ts: i as i64, open: o, high: h, low: l, close: c, volume: 1.0 };
        features.update(&candle, &mut row).unwrap();
        let got = p.predict(&row).unwrap();
        if i < 2 {
            assert_eq!(got, None, "bar {i} is inside the warm-up");
        } else {
            // y = 0.5 x0 - 2 x1 + 0.25 x2 + 1.5, in float32.
            let x: Vec<f32> = row.iter().map(|v| *v as f32).collect();
            assert_eq!(got, Some(0.5 * x[0] - 2.0 * x[1] + 0.25 * x[2] + 1.5));
        }
    }
}

#[test]
fn cards_that_disagree_with_their_model_or_features_are_refused_before_the_first_bar() {
    let Some(rt) = runtime() else { return };
    let e = error(&rt, &card("hash", |c| c["model_sha256"] = "00".repeat(32).into()));
    assert!(e.contains("the model was replaced after the card was written"), "{e}");
    let e = error(
        &rt,
        &card("width", |c| {
            c["features"] = serde_json::json!(["ret:1", "rsi:2", "clv", "gap"]);
            c["columns"] = serde_json::json!(["ret:1", "rsi:2", "clv", "gap"]);
        }),
    );
    assert!(e.contains("the model takes 3 features, the card lists 4 columns"), "{e}");
    let e = error(&rt, &card("order", |c| c["columns"] = serde_json::json!(["rsi:2", "ret:1", "clv"])));
    assert!(e.contains("column 0 is `rsi:2` on the card, but its features give `ret:1`"), "{e}");
    let e = error(&rt, &card("warm", |c| c["warm_up"] = 5.into()));
    assert!(e.contains("warm up in 2 bars here, 5 when it was trained"), "{e}");
    let e = error(&rt, &card("spec", |c| c["features"] = serde_json::json!(["rsx:2", "ret:1", "clv"])));
    assert!(e.contains("unknown feature `rsx`"), "{e}");
    let e = error(&rt, &card("format", |c| c["format"] = "something.else".into()));
    assert!(e.contains("this build reads `py_rt.model_card.v1`"), "{e}");
    let e = error(&rt, &card("missing", |c| c["model_file"] = "/nonexistent/model.onnx".into()));
    assert!(e.contains("cannot read its model /nonexistent/model.onnx"), "{e}");
    let e = error(&rt, Path::new("/nonexistent/card.json"));
    assert!(e.starts_with("model card /nonexistent/card.json: cannot read it"), "{e}");
}
