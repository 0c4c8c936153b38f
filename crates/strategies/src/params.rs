//! Strategy parameters: declared with defaults and bounds, checked on input.

use std::collections::BTreeMap;

/// Whole-number parameters are periods and counts of bars: at most the
/// indicators' longest window.
use pyrt_indicators::features::MAX_PERIOD;

/// One parameter a strategy accepts.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f64,
    /// Whether the value must be a whole number (periods).
    pub integer: bool,
    pub min: f64,
    pub help: &'static str,
}

/// Why parameters were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown strategy `{name}`; available: {available}")]
    UnknownStrategy { name: String, available: String },
    #[error("unknown parameter `{param}` for strategy {strategy}; valid parameters: {valid}")]
    Unknown { strategy: &'static str, param: String, valid: String },
    #[error("parameter `{param}` of {strategy} must be a number, got `{value}`")]
    NotANumber { strategy: &'static str, param: &'static str, value: String },
    #[error("parameter `{param}` of {strategy} must be a whole number, got {value}")]
    NotInteger { strategy: &'static str, param: &'static str, value: f64 },
    #[error("parameter `{param}` of {strategy} must be at least {min}, got {value}")]
    TooSmall { strategy: &'static str, param: &'static str, min: f64, value: f64 },
    /// `value` is the text given, as written (`1e30`, not a rounded float).
    #[error("parameter `{param}` of {strategy} must be at most {max}, got {value}")]
    TooLarge { strategy: &'static str, param: &'static str, max: usize, value: String },
    #[error("{strategy}: {message}")]
    Inconsistent { strategy: &'static str, message: String },
}

/// Checked parameter values, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    values: BTreeMap<&'static str, f64>,
}

impl Params {
    /// Checks `given` (name → text) against `specs`, filling in defaults.
    pub fn resolve(
        strategy: &'static str,
        specs: &[ParamSpec],
        given: &BTreeMap<String, String>,
    ) -> Result<Self, ParamError> {
        for name in given.keys() {
            if !specs.iter().any(|s| s.name == name) {
                let valid = specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
                return Err(ParamError::Unknown { strategy, param: name.clone(), valid });
            }
        }
        let mut values = BTreeMap::new();
        for spec in specs {
            let value = match given.get(spec.name) {
                None => spec.default,
                Some(text) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| ParamError::NotANumber { strategy, param: spec.name, value: text.clone() })?,
            };
            if spec.integer && value > MAX_PERIOD as f64 {
                let written = given.get(spec.name).map_or_else(|| value.to_string(), |t| t.trim().to_string());
                return Err(ParamError::TooLarge { strategy, param: spec.name, max: MAX_PERIOD, value: written });
            }
            if spec.integer && value.fract() != 0.0 {
                return Err(ParamError::NotInteger { strategy, param: spec.name, value });
            }
            if value < spec.min {
                return Err(ParamError::TooSmall { strategy, param: spec.name, min: spec.min, value });
            }
            values.insert(spec.name, value);
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> f64 {
        self.values[name]
    }
    pub fn period(&self, name: &str) -> usize {
        self.values[name] as usize
    }
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.values.iter().map(|(k, v)| (*k, *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec { name: "fast", default: 10.0, integer: true, min: 1.0, help: "" },
        ParamSpec { name: "k", default: 2.0, integer: false, min: 0.0, help: "" },
    ];

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_overrides() {
        let p = Params::resolve("x", SPECS, &given(&[("k", "1.5")])).unwrap();
        assert_eq!((p.period("fast"), p.get("k")), (10, 1.5));
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let e = Params::resolve("x", SPECS, &given(&[("fsat", "3")])).unwrap_err();
        assert_eq!(e.to_string(), "unknown parameter `fsat` for strategy x; valid parameters: fast, k");
        let e = Params::resolve("x", SPECS, &given(&[("fast", "ten")])).unwrap_err();
        assert!(matches!(e, ParamError::NotANumber { .. }));
        let e = Params::resolve("x", SPECS, &given(&[("fast", "2.5")])).unwrap_err();
        assert!(matches!(e, ParamError::NotInteger { .. }));
        let e = Params::resolve("x", SPECS, &given(&[("fast", "0")])).unwrap_err();
        assert_eq!(e.to_string(), "parameter `fast` of x must be at least 1, got 0");
        let e = Params::resolve("x", SPECS, &given(&[("fast", "1e30")])).unwrap_err();
        assert_eq!(e.to_string(), "parameter `fast` of x must be at most 10000000, got 1e30");
        let e = Params::resolve("x", SPECS, &given(&[("fast", "1000000000000000000000000000000")])).unwrap_err();
        assert!(e.to_string().ends_with("got 1000000000000000000000000000000"), "{e}");
        let e = Params::resolve("x", SPECS, &given(&[("k", "NaN")])).unwrap_err();
        assert!(matches!(e, ParamError::NotANumber { .. }));
    }
}
