//! The model strategy: an ONNX model, described by its card, trading
//! long or flat on its predictions.
//!
//! On each closed bar of an instrument the card's features are computed
//! streaming (the same code `py_rt.features` runs in research), the model
//! is asked once every feature has a value, and the prediction `p` (a
//! classifier's probability of class 1, or a regressor's value) becomes a
//! decision by a fixed rule:
//!
//! * flat and `p ≥ enter`: buy, all in ([`LongFlat`]'s sizing);
//! * long and `p < exit`: close the position;
//! * otherwise hold.
//!
//! During the warm-up (any feature still NaN) there is no prediction and
//! so no trade: a missing feature is never replaced by a number. The
//! comparison is made on the model's float32 output widened to f64, as
//! Python does with onnxruntime's output, so a backtest driven from Python
//! and one from the CLI make the same decisions.
//!
//! A model that fails on a row (it cannot, once the card is checked,
//! short of a runtime fault) holds, and the failure is logged at error
//! level with the instrument and bar time.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use pyrt_indicators::{Candle, FeaturePipeline};
use pyrt_ml::{Predictor, Runtime};
use pyrt_model::Bar;

use crate::long_flat::{Decision, Signal};

/// One instrument's features and the model they share.
pub struct ModelSignal {
    predictor: Rc<RefCell<Predictor>>,
    features: FeaturePipeline,
    row: Vec<f64>,
    enter: f64,
    exit: f64,
}

/// Opens the card at `card` (and its model), checked; the ONNX Runtime is
/// the one already loaded in the process, or `ORT_DYLIB_PATH`'s.
pub fn open(card: &Path) -> Result<Rc<RefCell<Predictor>>, String> {
    let runtime = Runtime::current().map_err(|e| e.to_string())?;
    Predictor::open(&runtime, card).map(|p| Rc::new(RefCell::new(p))).map_err(|e| e.to_string())
}

impl ModelSignal {
    pub fn new(predictor: Rc<RefCell<Predictor>>, enter: f64, exit: f64) -> Self {
        let features = predictor.borrow().pipeline();
        let row = vec![0.0; features.columns().len()];
        Self { predictor, features, row, enter, exit }
    }
}

impl Signal for ModelSignal {
    fn on_bar(&mut self, bar: &Bar) -> Decision {
        let candle = Candle {
            ts: bar.ts_event,
            open: bar.open.to_f64(),
            high: bar.high.to_f64(),
            low: bar.low.to_f64(),
            close: bar.close.to_f64(),
            volume: bar.volume.to_f64(),
        };
        // Bars are fixed-point, so always finite: the pipeline cannot refuse one.
        self.features.update(&candle, &mut self.row).expect("fixed-point bars are finite");
        let p = match self.predictor.borrow_mut().predict(&self.row) {
            Ok(Some(p)) => f64::from(p),
            Ok(None) => return Decision::Hold,
            Err(e) => {
                tracing::error!(instrument = bar.instrument.index(), ts = candle.ts, error = %e, "model failed; holding");
                return Decision::Hold;
            }
        };
        if p >= self.enter {
            Decision::Enter
        } else if p < self.exit {
            Decision::Exit
        } else {
            Decision::Hold
        }
    }
}
