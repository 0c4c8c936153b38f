//! A backtest's run settings: a TOML file (`pyrt backtest --config run.toml`),
//! or the same fields from flags, or built-in defaults.
//!
//! The file comes from outside, so its reader is one of the fuzzed parsers
//! (`pyrt-fuzz`'s `run_config` target): any text gives settings that pass
//! [`RunConfig::validate`] or an error naming the field, never a panic.
//!
//! Unknown keys anywhere are errors (serde's `deny_unknown_fields`), so a
//! misspelt setting never silently falls back to a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use pyrt_data::{BarColumns, OnInvalid};
use pyrt_engine::{AccountKind, EngineConfig, Sampling};
use pyrt_model::{Money, Price, Quantity};
use pyrt_sim::{BarFill, Fees, LimitFillRule, SimConfig, Slippage};
use serde::Deserialize;

mod spec;

/// Everything a backtest needs.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Data files, one instrument each. Empty: synthetic data.
    pub feeds: Vec<Feed>,
    pub synthetic: Synthetic,
    pub strategy: StrategyConfig,
    pub account: Account,
    pub execution: Execution,
    pub output: Output,
    /// A risk-limits file (`[order_limits]`, `[position_limits]`,
    /// `[margin]`, `[risk_metrics]`); every order passes it.
    pub risk: Option<PathBuf>,
    /// A run in which any order was rejected is an error (the report is
    /// still written).
    pub strict: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feed {
    pub path: PathBuf,
    /// Defaults to the file name without extensions.
    pub symbol: Option<String>,
    #[serde(default = "default_csv_tick")]
    pub tick_size: Price,
    #[serde(default = "one")]
    pub lot_size: Quantity,
    #[serde(default)]
    pub columns: BarColumns,
    #[serde(default)]
    pub on_invalid: OnInvalid,
    #[serde(default)]
    pub allow_equal_timestamps: bool,
}

/// CSV prices often carry six decimals (Yahoo's split-adjusted data);
/// a finer grid than any of them keeps every price in the file tradable.
fn default_csv_tick() -> Price {
    Price::from_raw(1_000)
}
fn one() -> Quantity {
    Quantity::from_int(1)
}

impl Feed {
    pub fn from_path(path: PathBuf) -> Self {
        Self {
            path,
            symbol: None,
            tick_size: default_csv_tick(),
            lot_size: one(),
            columns: BarColumns::default(),
            on_invalid: OnInvalid::Fail,
            allow_equal_timestamps: false,
        }
    }

    pub fn symbol(&self) -> String {
        self.symbol.clone().unwrap_or_else(|| {
            let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.split('.').next().unwrap_or("DATA").to_uppercase()
        })
    }
}

/// Seeded GBM bars, used when no feed is given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Synthetic {
    pub bars: u64,
    pub seed: u64,
    pub symbols: Vec<String>,
    pub start_price: f64,
    pub drift: f64,
    pub volatility: f64,
    pub interval_s: u64,
}

impl Default for Synthetic {
    fn default() -> Self {
        Self {
            bars: 2520,
            seed: 42,
            symbols: vec!["SYN".into()],
            start_price: 100.0,
            drift: 0.08,
            volatility: 0.25,
            interval_s: 86_400,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    pub name: String,
    pub params: BTreeMap<String, toml::Value>,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        Self { name: "sma_cross".into(), params: BTreeMap::new() }
    }
}

impl StrategyConfig {
    /// Parameters as text, the form the strategy catalog checks.
    pub fn params_text(&self) -> Result<BTreeMap<String, String>> {
        self.params
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    other => bail!("strategy parameter `{k}` must be a number, got {other}"),
                };
                Ok((k.clone(), text))
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Account {
    pub cash: Money,
    pub kind: AccountKind,
    /// Annual risk-free rate for Sharpe and Sortino (0.02 = 2 %).
    pub risk_free: f64,
    /// Which lots a sale closes: `average`, `fifo` or `lifo`.
    pub cost_basis: pyrt_engine::CostBasis,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            cash: Money::from_int(100_000),
            kind: AccountKind::Cash,
            risk_free: 0.0,
            cost_basis: pyrt_engine::CostBasis::Average,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Execution {
    pub fill: BarFill,
    pub limit_fill: LimitFillRule,
    pub latency_ms: f64,
    /// A spec (`"bps:10"`, `"per-unit:0.005,min=1"`) or a table
    /// (`{ model = "rate", maker = 0.001, taker = 0.001 }`).
    #[serde(deserialize_with = "spec::fees")]
    pub fees: Fees,
    /// A spec (`"bps:5"`, `"sqrt:0.1,cap=0.1"`) or a table.
    #[serde(deserialize_with = "spec::slippage")]
    pub slippage: Slippage,
    /// Put every order's limit and stop prices on the tick grid the careful
    /// way (limits never more aggressive, stops never earlier) instead of
    /// refusing them.
    pub round_prices: bool,
}

impl Account {
    /// The account's checks, naming the field.
    pub fn check(&self) -> Result<()> {
        if !self.cash.is_positive() {
            bail!("account.cash must be greater than zero, got {}", self.cash);
        }
        if !self.risk_free.is_finite() {
            bail!("account.risk_free must be a number, got {}", self.risk_free);
        }
        Ok(())
    }
}

impl Execution {
    /// The simulated venue's checks, naming the field.
    pub fn check(&self) -> Result<()> {
        if !(self.latency_ms >= 0.0 && self.latency_ms.is_finite()) {
            bail!("execution.latency_ms must be a non-negative number, got {}", self.latency_ms);
        }
        pyrt_sim::check_fees(&self.fees).map_err(|e| anyhow::anyhow!("execution.fees: {e}"))?;
        pyrt_sim::check_slippage(&self.slippage).map_err(|e| anyhow::anyhow!("execution.slippage: {e}"))?;
        Ok(())
    }

    /// The simulated venue's configuration.
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            bar_fill: self.fill,
            limit_fill: self.limit_fill,
            fees: self.fees.clone(),
            slippage: self.slippage.clone(),
        }
    }
}

/// The kernel's configuration for a backtest with `account` and
/// `execution`, the one place both the CLI and Python build it: a setting
/// added to [`Account`] or [`Execution`] reaches every backtest from here.
pub fn engine_config(
    account: &Account,
    execution: &Execution,
    sampling: Sampling,
    history_limit: Option<usize>,
) -> EngineConfig {
    EngineConfig {
        initial_cash: account.cash,
        account: account.kind,
        cost_basis: account.cost_basis,
        order_latency_ns: (execution.latency_ms * 1e6).round() as i64,
        round_prices: execution.round_prices,
        sampling,
        history_limit,
        ..EngineConfig::default()
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Output {
    /// Where report files go; none written when unset.
    pub dir: Option<PathBuf>,
    /// Keep only the most recent N orders, fills and round trips in memory
    /// (and in the report files); statistics still cover the whole run.
    pub history_limit: Option<usize>,
}

impl RunConfig {
    /// Reads a settings file; its relative paths are relative to the file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("invalid config {}", path.display()))
    }

    /// Reads settings from TOML text, resolving relative paths against
    /// `base`, and checks them.
    pub fn parse(text: &str, base: &Path) -> Result<Self> {
        let mut config: RunConfig = toml::from_str(text)?;
        for feed in &mut config.feeds {
            if feed.path.is_relative() {
                feed.path = base.join(&feed.path);
            }
        }
        if let Some(dir) = &mut config.output.dir
            && dir.is_relative()
        {
            *dir = base.join(&*dir);
        }
        if let Some(risk) = &mut config.risk
            && risk.is_relative()
        {
            *risk = base.join(&*risk);
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        self.account.check()?;
        self.execution.check()?;
        for feed in &self.feeds {
            if !feed.tick_size.is_positive() || !feed.lot_size.is_positive() {
                bail!("feed {}: tick_size and lot_size must be greater than zero", feed.path.display());
            }
        }
        if self.feeds.is_empty() && (self.synthetic.bars == 0 || self.synthetic.symbols.is_empty()) {
            bail!("synthetic data needs bars > 0 and at least one symbol");
        }
        if !(self.synthetic.volatility >= 0.0 && self.synthetic.start_price > 0.0 && self.synthetic.interval_s > 0) {
            bail!("synthetic data needs volatility >= 0, start_price > 0 and interval_s > 0");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_config_keys_are_errors() {
        let e = toml::from_str::<RunConfig>("[account]\ncash = 1000\ncahs = 5\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `cahs`"), "{e}");
        let e = toml::from_str::<RunConfig>("[execution]\nfill = \"tomorrow\"\n").unwrap_err();
        assert!(e.to_string().contains("unknown variant `tomorrow`"), "{e}");
        let c: RunConfig =
            toml::from_str("[strategy]\nname = \"sma_cross\"\nparams = { fast = 5, slow = 20 }\n").unwrap();
        let rebate: RunConfig =
            toml::from_str("[execution]\nfees = { model = \"rate\", maker = -0.5, taker = -0.5 }\n").unwrap();
        let e = rebate.validate().unwrap_err().to_string();
        assert!(e.starts_with("execution.fees: the taker rate -5000 bp is outside its bounds"), "{e}");
        assert_eq!(c.strategy.params_text().unwrap()["fast"], "5");
    }

    #[test]
    fn paths_resolve_against_the_file_and_checks_name_the_field() {
        let text = "risk = \"limits.toml\"\n[[feeds]]\npath = \"data/orcl.csv.gz\"\n[output]\ndir = \"/abs/out\"\n";
        let c = RunConfig::parse(text, Path::new("/runs")).unwrap();
        assert_eq!(c.feeds[0].path, Path::new("/runs/data/orcl.csv.gz"));
        assert_eq!(c.feeds[0].symbol(), "ORCL");
        assert_eq!(c.risk.as_deref(), Some(Path::new("/runs/limits.toml")));
        assert_eq!(c.output.dir.as_deref(), Some(Path::new("/abs/out")));
        let e = RunConfig::parse("[account]\ncash = -1\n", Path::new("/")).unwrap_err().to_string();
        assert!(e.starts_with("account.cash must be greater than zero"), "{e}");
        let e = RunConfig::parse("[execution]\nlatency_ms = nan\n", Path::new("/")).unwrap_err().to_string();
        assert!(e.contains("execution.latency_ms"), "{e}");
    }
}
