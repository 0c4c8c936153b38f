//! Model cards: what a model was trained on, checked before it trades.
//!
//! `py_rt.ml.export` writes a model's ONNX file and, beside it, a JSON card
//! naming the features (catalog specs such as `rsi:14`), the model's input
//! columns in order, the warm-up, the training span, metrics, and the
//! model file's SHA-256. [`Predictor::open`] reads the card and refuses to
//! trade when any of it disagrees with what would run:
//!
//! * the model file is not the one the card describes (hash);
//! * the model's input width is not the card's column count;
//! * the features, compiled by this build's feature engine, give other
//!   columns, in another order, or another warm-up than the card records
//!   (a feature whose definition changed since training).
//!
//! Each error names the card and the first thing that differs, before
//! the first bar.

use std::path::{Path, PathBuf};

use pyrt_indicators::features::{self, FeaturePipeline};
use sha2::{Digest, Sha256};

use crate::{MlError, Model, Runtime};

/// The card's format tag; a card of another format is refused.
pub const CARD_FORMAT: &str = "py_rt.model_card.v1";

/// A model card as `py_rt.ml.export` writes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub name: String,
    /// The ONNX file, relative to the card's directory.
    pub model_file: String,
    pub model_sha256: String,
    /// `classifier` (the prediction is the probability of class 1) or
    /// `regressor`.
    pub task: String,
    /// Feature specs, in the order their columns feed the model.
    pub features: Vec<String>,
    /// The model's input columns, in order.
    pub columns: Vec<String>,
    /// Rows before every feature has a value.
    pub warm_up: usize,
    /// Training span, label, rows, data hash: kept as written.
    #[serde(default)]
    pub training: serde_json::Value,
    #[serde(default)]
    pub metrics: serde_json::Value,
    #[serde(default)]
    pub library: serde_json::Value,
}

impl ModelCard {
    /// Reads and parses the card at `path`.
    pub fn read(path: &Path) -> Result<ModelCard, MlError> {
        let bad = |reason: String| MlError::Card { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let card: ModelCard = serde_json::from_str(&text).map_err(|e| bad(format!("not a model card: {e}")))?;
        if card.format != CARD_FORMAT {
            return Err(bad(format!("format `{}`, this build reads `{CARD_FORMAT}`", card.format)));
        }
        if !matches!(card.task.as_str(), "classifier" | "regressor") {
            return Err(bad(format!("task `{}`; expected classifier or regressor", card.task)));
        }
        Ok(card)
    }

    /// The card's features as one spec list.
    pub fn spec(&self) -> String {
        self.features.join(",")
    }
}

/// A model with its card, checked against each other: computes the card's
/// features a bar at a time (one [`FeaturePipeline`] per instrument, from
/// [`Predictor::pipeline`]) and predicts once they are all warmed up.
#[derive(Debug)]
pub struct Predictor {
    card: ModelCard,
    card_path: PathBuf,
    model: Model,
    row: Vec<f32>,
}

impl Predictor {
    /// Opens the card at `card_path` and its model, checking everything
    /// the module documentation lists.
    pub fn open(runtime: &Runtime, card_path: &Path) -> Result<Predictor, MlError> {
        let card = ModelCard::read(card_path)?;
        let bad = |reason: String| MlError::Card { path: card_path.display().to_string(), reason };
        let model_path = card_path.parent().unwrap_or(Path::new(".")).join(&card.model_file);
        let bytes = std::fs::read(&model_path)
            .map_err(|e| bad(format!("cannot read its model {}: {e}", model_path.display())))?;
        let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if digest != card.model_sha256 {
            return Err(bad(format!(
                "the model file {} has SHA-256 {digest}, the card says {}: the model was replaced after the card \
                 was written; export them again together",
                model_path.display(),
                card.model_sha256
            )));
        }
        let model = Model::load(runtime, &model_path)?;
        if model.width() != card.columns.len() {
            return Err(bad(format!(
                "the model takes {} features, the card lists {} columns",
                model.width(),
                card.columns.len()
            )));
        }
        let specs = features::parse(&card.spec()).map_err(|e| bad(format!("its features: {e}")))?;
        let pipeline = FeaturePipeline::new(&specs).map_err(|e| bad(format!("its features: {e}")))?;
        if let Some(i) = (0..card.columns.len().max(pipeline.columns().len()))
            .find(|&i| card.columns.get(i) != pipeline.columns().get(i))
        {
            return Err(bad(format!(
                "column {i} is `{}` on the card, but its features give `{}`: the card's columns must be its \
                 features' columns, in order",
                card.columns.get(i).map_or("(none)", String::as_str),
                pipeline.columns().get(i).map_or("(none)", String::as_str),
            )));
        }
        let warm_up = specs.iter().map(features::warm_up).collect::<Result<Vec<_>, _>>();
        let warm_up = warm_up.map_err(|e| bad(e.to_string()))?.into_iter().max().unwrap_or(0);
        if warm_up != card.warm_up {
            return Err(bad(format!(
                "its features warm up in {warm_up} bars here, {} when it was trained: a feature's definition \
                 changed; retrain the model",
                card.warm_up
            )));
        }
        let row = vec![0.0; card.columns.len()];
        Ok(Predictor { card, card_path: card_path.to_path_buf(), model, row })
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    pub fn card_path(&self) -> &Path {
        &self.card_path
    }

    /// A fresh feature pipeline for one instrument.
    pub fn pipeline(&self) -> FeaturePipeline {
        FeaturePipeline::from_spec(&self.card.spec()).expect("checked in open")
    }

    /// The prediction for one row of the card's columns, or `None` while
    /// any of them is still warming up (NaN): a model is never fed a
    /// made-up value.
    pub fn predict(&mut self, features: &[f64]) -> Result<Option<f32>, MlError> {
        if features.iter().any(|v| v.is_nan()) {
            return Ok(None);
        }
        for (slot, v) in self.row.iter_mut().zip(features) {
            *slot = *v as f32;
        }
        self.model.predict(&self.row).map(Some)
    }
}
