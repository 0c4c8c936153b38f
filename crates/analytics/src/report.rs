//! A finished run as files: `summary.json`, `equity.csv`, `trades.csv`,
//! `fills.csv`, and `report.html` (self-contained: inline SVG charts, no
//! scripts, nothing fetched, readable offline).

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use pyrt_engine::{ClosedLot, CostBasis, Engine, Rejections, TradeRecord, Venue};
use pyrt_execution::ExecutionSummary;
use pyrt_model::time::format_timestamp;
use pyrt_model::{Fill, Money};
use serde::Serialize;

use crate::stats::{Stats, StatsInput, compute};

/// The sampled equity curve of a run, as floats for statistics.
pub fn equity_points<V: Venue>(engine: &Engine<V>) -> Vec<(i64, f64)> {
    engine.recorder().points().iter().map(|(t, e)| (*t, e.to_f64())).collect()
}

/// The statistics of a finished run, given its [`equity_points`]: all a
/// parameter sweep keeps of each run.
pub fn stats_of<V: Venue>(engine: &Engine<V>, equity: &[(i64, f64)], risk_free: f64) -> Stats {
    let (p, r) = (engine.portfolio(), engine.recorder());
    compute(&StatsInput {
        equity,
        initial_equity: p.initial_cash().to_f64(),
        trades: p.trade_stats(),
        max_drawdown: r.max_drawdown(),
        max_drawdown_duration_ns: r.max_drawdown_duration(),
        exposure: r.exposure(),
        num_fills: p.num_fills(),
        num_rejected: engine.orders().rejections().total,
        risk_free,
    })
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub stats: Stats,
    pub final_equity_exact: Money,
    /// Cash at the end, and each open position (instrument, quantity,
    /// value at its last mark), exact: what a next run carries in.
    pub final_cash_exact: Money,
    pub final_positions: Vec<(pyrt_model::InstrumentId, pyrt_model::Quantity, Money)>,
    pub symbols: Vec<String>,
    pub equity: Vec<(i64, f64)>,
    pub trades: Vec<TradeRecord>,
    pub fills: Vec<Fill>,
    /// The lots each sale closed, under the FIFO and LIFO cost bases.
    pub cost_basis: CostBasis,
    pub lots: Vec<ClosedLot>,
    /// Parent orders worked by execution algorithms, with their shortfall.
    pub executions: Vec<ExecutionSummary>,
    /// Refused orders by reason code, with the first examples.
    pub rejections: Rejections,
    pub events: u64,
    /// Each strategy's share, in a run with capital allocations.
    pub sleeves: Vec<crate::SleeveReport>,
}

/// An open position at the end of a run, exact.
#[derive(Debug, Serialize)]
pub struct FinalPosition {
    pub symbol: String,
    pub qty: String,
    pub value: String,
}

/// The one-object JSON summary printed by `pyrt backtest --format json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    #[serde(flatten)]
    pub stats: &'a Stats,
    /// The exact final equity, as a decimal string.
    pub final_equity_exact: String,
    /// The exact final cash, and the open positions (symbol, quantity,
    /// value at the last mark) as decimal strings.
    pub final_cash_exact: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub final_positions: Vec<FinalPosition>,
    pub events: u64,
    pub symbols: &'a [String],
    /// Refused orders: `total`, `by_code`, the first `examples`.
    pub rejections: &'a Rejections,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub executions: &'a [ExecutionSummary],
    /// Each strategy's capital, final equity and statistics, in a run
    /// with capital allocations.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub strategies: &'a [crate::SleeveReport],
}

impl RunReport {
    pub fn from_engine<V: Venue>(engine: &Engine<V>, risk_free: f64) -> Self {
        let p = engine.portfolio();
        let equity = equity_points(engine);
        let stats = stats_of(engine, &equity, risk_free);
        Self {
            stats,
            final_equity_exact: p.equity(),
            final_cash_exact: p.cash(),
            final_positions: p
                .positions()
                .iter()
                .enumerate()
                .filter(|(_, pos)| !pos.qty.is_zero())
                .map(|(i, pos)| {
                    let value = pos.mark.map_or(pos.cost, |m| Money::notional(m, pos.qty));
                    (pyrt_model::InstrumentId(i as u32), pos.qty, value)
                })
                .collect(),
            symbols: engine.instruments().iter().map(|i| i.symbol.clone()).collect(),
            equity,
            trades: p.trades().iter().cloned().collect(),
            fills: engine.fills().iter().copied().collect(),
            cost_basis: p.cost_basis(),
            lots: p.closed_lots().iter().copied().collect(),
            executions: engine.algos().all().iter().map(|e| e.summary()).collect(),
            rejections: engine.orders().rejections().clone(),
            events: engine.recorder().events(),
            sleeves: crate::sleeve_reports(engine, risk_free),
        }
    }

    pub fn summary(&self) -> Summary<'_> {
        Summary {
            stats: &self.stats,
            final_equity_exact: self.final_equity_exact.to_string(),
            final_cash_exact: self.final_cash_exact.to_string(),
            final_positions: self
                .final_positions
                .iter()
                .map(|(i, qty, value)| FinalPosition {
                    symbol: self.symbol(*i).to_string(),
                    qty: qty.to_string(),
                    value: value.to_string(),
                })
                .collect(),
            events: self.events,
            symbols: &self.symbols,
            rejections: &self.rejections,
            executions: &self.executions,
            strategies: &self.sleeves,
        }
    }

    /// Writes every report file into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        let mut put = |name: &str, body: String| -> io::Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, body)?;
            written.push(path);
            Ok(())
        };
        put("summary.json", serde_json::to_string_pretty(&self.summary()).map_err(io::Error::other)? + "\n")?;
        put("equity.csv", self.equity_csv())?;
        put("trades.csv", self.trades_csv())?;
        put("fills.csv", self.fills_csv())?;
        if !self.executions.is_empty() {
            put("executions.csv", self.executions_csv())?;
        }
        if self.cost_basis != CostBasis::Average {
            put("lots.csv", self.lots_csv())?;
        }
        put("report.html", self.html())?;
        Ok(written)
    }

    fn symbol(&self, i: pyrt_model::InstrumentId) -> &str {
        self.symbols.get(i.index()).map_or("?", String::as_str)
    }

    pub fn equity_csv(&self) -> String {
        let mut out = String::from("time,equity,drawdown\n");
        let mut peak = f64::MIN;
        for (t, e) in &self.equity {
            peak = peak.max(*e);
            let _ = writeln!(out, "{},{e},{}", format_timestamp(*t), if peak > 0.0 { e / peak - 1.0 } else { 0.0 });
        }
        out
    }

    pub fn trades_csv(&self) -> String {
        let mut out = String::from(
            "symbol,side,entry_time,exit_time,qty,entry_price,exit_price,pnl,fees,net_pnl,return_pct,mae,mfe,duration_s\n",
        );
        for t in &self.trades {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                self.symbol(t.instrument),
                t.direction(),
                format_timestamp(t.entry_ts),
                format_timestamp(t.exit_ts),
                t.qty,
                t.entry_price,
                t.exit_price,
                t.pnl,
                t.fees,
                t.net_pnl,
                t.return_pct,
                t.mae,
                t.mfe,
                t.duration_ns as f64 / 1e9
            );
        }
        out
    }

    /// The lot report: each piece of a lot a sale closed (FIFO, LIFO).
    pub fn lots_csv(&self) -> String {
        let mut out = String::from(
            "symbol,side,qty,open_time,open_order_id,open_price,close_time,close_order_id,close_price,pnl\n",
        );
        for l in &self.lots {
            let side = if l.side == pyrt_model::Side::Buy { "long" } else { "short" };
            let _ = writeln!(
                out,
                "{},{side},{},{},{},{},{},{},{},{}",
                self.symbol(l.instrument),
                l.qty,
                format_timestamp(l.open_ts),
                l.open_order.0,
                l.open_price,
                format_timestamp(l.close_ts),
                l.close_order.0,
                l.close_price,
                l.pnl
            );
        }
        out
    }

    pub fn fills_csv(&self) -> String {
        let mut out = String::from("time,order_id,symbol,side,qty,price,fee,liquidity\n");
        for f in &self.fills {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{:?}",
                format_timestamp(f.ts),
                f.order_id.0,
                self.symbol(f.instrument),
                f.side,
                f.qty,
                f.price,
                f.fee,
                f.liquidity
            );
        }
        out
    }

    /// One row per parent order: what it did and what it cost against its
    /// arrival price and the market's VWAP over its life.
    pub fn executions_csv(&self) -> String {
        let mut out = String::from(
            "parent,algo,symbol,side,status,qty,executed,avg_price,arrival_price,interval_vwap,shortfall_arrival_bps,shortfall_vwap_bps,participation,children,fees,started,finished,reason\n",
        );
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        let time = |t: Option<i64>| t.map_or(String::new(), format_timestamp);
        for e in &self.executions {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                e.parent.0,
                e.algo,
                self.symbol(e.instrument),
                e.side,
                e.status.as_str(),
                e.qty,
                e.executed,
                e.avg_price.map_or(String::new(), |p| p.to_string()),
                e.arrival_price.map_or(String::new(), |p| p.to_string()),
                opt(e.interval_vwap),
                opt(e.shortfall_arrival_bps),
                opt(e.shortfall_vwap_bps),
                opt(e.participation),
                e.children,
                e.fees,
                time(e.started),
                time(e.finished),
                csv_text(e.reason.as_deref().unwrap_or("")),
            );
        }
        out
    }

    pub fn html(&self) -> String {
        let s = &self.stats;
        let eq: Vec<(f64, f64)> = self.equity.iter().map(|(t, e)| (*t as f64, *e)).collect();
        let mut peak = f64::MIN;
        let dd: Vec<(f64, f64)> = eq
            .iter()
            .map(|(t, e)| {
                peak = peak.max(*e);
                (*t, if peak > 0.0 { (e / peak - 1.0) * 100.0 } else { 0.0 })
            })
            .collect();
        let equity_at = |ts: i64| {
            let i = self.equity.partition_point(|(t, _)| *t < ts).min(self.equity.len().saturating_sub(1));
            self.equity.get(i).map_or(0.0, |p| p.1)
        };
        let mut markers = Vec::new();
        for t in &self.trades {
            markers.push(Marker { x: t.entry_ts as f64, y: equity_at(t.entry_ts), entry: true });
            markers.push(Marker { x: t.exit_ts as f64, y: equity_at(t.exit_ts), entry: false });
        }
        let pct = |v: f64| format!("{:.2} %", v * 100.0);
        let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("–".to_string(), f);
        let num = |v: f64| format!("{v:.3}");
        let rows = [
            ("Period", format!("{} → {}", format_timestamp(s.start), format_timestamp(s.end))),
            ("Initial equity", format!("{:.2}", s.initial_equity)),
            ("Final equity", format!("{:.2}", s.final_equity)),
            ("Total return", pct(s.total_return)),
            ("Annual return", pct(s.annual_return)),
            ("Annual volatility", pct(s.annual_volatility)),
            ("Sharpe", opt(s.sharpe, &num)),
            ("Sortino", opt(s.sortino, &num)),
            ("Calmar", opt(s.calmar, &num)),
            ("Max drawdown", pct(s.max_drawdown)),
            ("Max drawdown duration", format!("{:.1} days", s.max_drawdown_duration_days)),
            ("Round trips", s.num_round_trips.to_string()),
            ("Fills", s.num_fills.to_string()),
            ("Rejected orders", s.num_rejected.to_string()),
            ("Win rate", opt(s.win_rate, &pct)),
            ("Profit factor", opt(s.profit_factor, &num)),
            ("Expectancy", opt(s.expectancy, &|v| format!("{v:.2}"))),
            ("Exposure", pct(s.exposure)),
            ("VaR 95 % (hist.)", opt(s.var_95_historical, &pct)),
            ("CVaR 95 % (hist.)", opt(s.cvar_95_historical, &pct)),
        ];
        let mut html = String::new();
        let _ = write!(
            html,
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>py_rt backtest: {}</title><style>\
             body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
             td,th{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}}td:first-child,th:first-child{{text-align:left}}\
             .grid{{display:flex;gap:2em;flex-wrap:wrap}}</style></head><body><h1>Backtest: {}</h1><div class=\"grid\"><table>",
            escape(&self.symbols.join(", ")),
            escape(&self.symbols.join(", "))
        );
        for (k, v) in rows {
            let _ = write!(html, "<tr><td>{k}</td><td>{}</td></tr>", escape(&v));
        }
        html.push_str("</table><div>");
        html.push_str(&svg_chart("Equity (▲ entry, ▼ exit)", &eq, &markers, false));
        html.push_str(&svg_chart("Drawdown %", &dd, &[], true));
        html.push_str("</div></div><h2>Trades</h2><table><tr>");
        for h in ["symbol", "side", "entry", "exit", "qty", "entry px", "exit px", "net P&L", "return", "MAE", "MFE"] {
            let _ = write!(html, "<th>{h}</th>");
        }
        html.push_str("</tr>");
        for t in self.trades.iter().take(1000) {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2} %</td><td>{:.2}</td><td>{:.2}</td></tr>",
                escape(self.symbol(t.instrument)),
                t.direction(),
                format_timestamp(t.entry_ts),
                format_timestamp(t.exit_ts),
                t.qty,
                t.entry_price,
                t.exit_price,
                t.net_pnl,
                t.return_pct * 100.0,
                t.mae,
                t.mfe
            );
        }
        if self.trades.len() > 1000 {
            let _ = write!(html, "<tr><td colspan=\"11\">… {} more in trades.csv</td></tr>", self.trades.len() - 1000);
        }
        html.push_str("</table></body></html>\n");
        html
    }
}

struct Marker {
    x: f64,
    y: f64,
    entry: bool,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line chart as inline SVG, thinned to at most ~2000 points.
fn svg_chart(title: &str, points: &[(f64, f64)], markers: &[Marker], area: bool) -> String {
    const W: f64 = 900.0;
    const H: f64 = 300.0;
    const L: f64 = 70.0;
    const R: f64 = 10.0;
    const T: f64 = 25.0;
    const B: f64 = 25.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" style=\"display:block;margin-bottom:1em\">\
         <text x=\"{L}\" y=\"16\" font-size=\"14\">{}</text>",
        escape(title)
    );
    if points.len() < 2 {
        svg.push_str("<text x=\"70\" y=\"60\">not enough data</text></svg>");
        return svg;
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let (mut y0, mut y1) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    if y1 - y0 < 1e-12 {
        y0 -= 1.0;
        y1 += 1.0;
    }
    let sx = |x: f64| L + (x - x0) / (x1 - x0).max(1.0) * (W - L - R);
    let sy = |y: f64| T + (y1 - y) / (y1 - y0) * (H - T - B);
    let step = (points.len() / 2000).max(1);
    let mut path = String::new();
    for (i, (x, y)) in points.iter().enumerate().filter(|(i, _)| i % step == 0 || *i == points.len() - 1) {
        let _ = write!(path, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, sx(*x), sy(*y));
    }
    let (stroke, fill) = if area { ("#c0392b", "#f5b7b1") } else { ("#1f618d", "none") };
    if area {
        let _ = write!(
            svg,
            "<path d=\"{path}L{:.1},{:.1}L{:.1},{:.1}Z\" fill=\"{fill}\" stroke=\"none\"/>",
            sx(x1),
            sy(y1),
            sx(x0),
            sy(y1)
        );
    }
    let _ = write!(svg, "<path d=\"{path}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.2\"/>");
    for m in markers {
        let (x, y) = (sx(m.x), sy(m.y));
        let (d, c) = if m.entry {
            (format!("M{x:.1},{:.1}l-4,7h8z", y - 3.0), "#1e8449")
        } else {
            (format!("M{x:.1},{:.1}l-4,-7h8z", y + 3.0), "#c0392b")
        };
        let _ = write!(svg, "<path d=\"{d}\" fill=\"{c}\"/>");
    }
    let _ = write!(
        svg,
        "<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{:.0}\" stroke=\"#999\"/><line x1=\"{L}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{:.0}\" stroke=\"#999\"/>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"end\">{y1:.2}</text>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"end\">{y0:.2}</text>\
         <text x=\"{L}\" y=\"{:.0}\" font-size=\"11\">{}</text>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        H - B,
        H - B,
        W - R,
        H - B,
        L - 4.0,
        T + 8.0,
        L - 4.0,
        H - B,
        H - 8.0,
        &format_timestamp(x0 as i64)[..10],
        W - R,
        H - 8.0,
        &format_timestamp(x1 as i64)[..10]
    );
    svg
}

/// A free-text CSV field, quoted when it holds a comma, quote or newline.
fn csv_text(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use pyrt_engine::{Context, EngineConfig, Strategy};
    use pyrt_execution::{Algo, ParentOrder};
    use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Price, Quantity, Rate, Side};
    use pyrt_sim::{SimConfig, SimVenue};

    use super::*;

    const I: InstrumentId = InstrumentId(0);
    const MIN: i64 = 60_000_000_000;

    struct TwapOnce;
    impl Strategy for TwapOnce {
        fn on_start(&mut self, ctx: &mut Context) {
            let algo = Algo::Twap { slices: 3, jitter: Rate::ZERO, seed: 0 };
            let buy = ParentOrder::new(I, Side::Buy, Quantity::from_int(30), algo, 0, 3 * MIN);
            ctx.submit_algo(buy);
            // Refused: reported with its reason, kept out of the report.
            ctx.submit_algo(ParentOrder::new(I, Side::Buy, Quantity::ZERO, buy_algo(), 0, MIN));
        }
    }
    fn buy_algo() -> Algo {
        Algo::Iceberg { display: Quantity::from_int(1), price: Price::from_int(1) }
    }

    #[test]
    fn parents_are_reported_with_their_shortfall() {
        let inst = vec![Instrument::new(I, "T", Price::from_int(1), Quantity::from_int(1))];
        let venue = SimVenue::new(inst.clone(), SimConfig::default());
        let mut engine = Engine::new(inst, venue, EngineConfig::default());
        engine.add_strategy(Box::new(TwapOnce));
        let bars = (0..5).map(|i| {
            let bar = Bar::flat(I, i * MIN, Price::from_int(100 + i), Quantity::from_int(1000));
            Ok::<_, io::Error>(MarketEvent::Bar(bar))
        });
        engine.run(bars).unwrap();
        let report = RunReport::from_engine(&engine, 0.0);
        let csv = report.executions_csv();
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        // The first slice, sent from on_start, fills at bar 0's open (100);
        // those decided on bars 1 and 2 at the next opens (102, 103). The
        // market's VWAP covers bars 0 to 2, the parent's life.
        assert_eq!(
            lines[1],
            "1,twap,T,buy,completed,30,30,101.666666667,100,101,166.66666666666714,66.00660066006648,0.01,3,0,1970-01-01 00:00:00,1970-01-01 00:03:00,"
        );
        let json = serde_json::to_value(report.summary()).unwrap();
        assert_eq!(json["executions"][0]["status"], "completed");
        assert_eq!(csv_text("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
