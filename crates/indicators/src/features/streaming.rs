//! Each spec compiled into a streaming feature that writes its lines for one bar.

use super::*;

/// A compiled feature: writes its lines for each bar.
pub(super) trait Feature {
    fn update(&mut self, c: &Candle, out: &mut [f64]);

    /// Runs over `candles`, appending to one column per line. The default
    /// body is instantiated for each feature type, so its loop calls
    /// `update` statically (inlined): one dynamic call per feature per
    /// batch instead of one per bar, and the same arithmetic as streaming.
    fn batch(&mut self, candles: &[Candle], cols: &mut [Vec<f64>]) {
        let mut out = [0.0; 3];
        let out = &mut out[..cols.len()];
        for c in candles {
            self.update(c, out);
            for (col, v) in cols.iter_mut().zip(out.iter()) {
                col.push(*v);
            }
        }
    }
}

pub(super) struct Single<I> {
    source: Source,
    ind: I,
}
impl<I: Indicator> Feature for Single<I> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        out[0] = self.ind.update(self.source.of(c)).unwrap_or(f64::NAN);
    }
}

pub(super) struct Bars<I>(I);
impl<I: CandleIndicator<Output = f64>> Feature for Bars<I> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        out[0] = self.0.update(c).unwrap_or(f64::NAN);
    }
}

/// A feature built from a closure over its own state.
pub(super) struct With<S, F>(S, F);
impl<S, F: FnMut(&mut S, &Candle, &mut [f64])> Feature for With<S, F> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        (self.1)(&mut self.0, c, out)
    }
}

pub(super) fn with<S: 'static>(state: S, f: impl FnMut(&mut S, &Candle, &mut [f64]) + 'static) -> Box<dyn Feature> {
    Box::new(With(state, f))
}

pub(super) fn fill(out: &mut [f64], values: Option<&[f64]>) {
    match values {
        Some(v) => out.copy_from_slice(v),
        None => out.fill(f64::NAN),
    }
}

/// `x / average − 1` once the average is ready; 0 over a zero average.
fn distance(x: f64, average: Option<f64>) -> f64 {
    average.map_or(f64::NAN, |a| if a != 0.0 { x / a - 1.0 } else { 0.0 })
}

pub(super) fn build(spec: &FeatureSpec) -> Result<Box<dyn Feature>, SpecError> {
    let bad = |message: String| SpecError::BadArgument { token: spec.text.clone(), message };
    let period = |i: usize| period_arg(spec, i);
    let ind = |e: IndicatorError| bad(e.to_string());
    let src = spec.source.unwrap_or(Source::Close);
    fn single<I: Indicator + 'static>(source: Source, ind: I) -> Box<dyn Feature> {
        Box::new(Single { source, ind })
    }
    fn bars<I: CandleIndicator<Output = f64> + 'static>(ind: I) -> Box<dyn Feature> {
        Box::new(Bars(ind))
    }
    Ok(match spec.name {
        "sma" => single(src, Sma::new(period(0)?).map_err(ind)?),
        "ema" => single(src, Ema::new(period(0)?).map_err(ind)?),
        "wma" => single(src, Wma::new(period(0)?).map_err(ind)?),
        "dema" => single(src, Dema::new(period(0)?).map_err(ind)?),
        "tema" => single(src, Tema::new(period(0)?).map_err(ind)?),
        "trima" => single(src, Trima::new(period(0)?).map_err(ind)?),
        "rsi" => single(src, Rsi::new(period(0)?).map_err(ind)?),
        "mom" => single(src, Mom::new(period(0)?).map_err(ind)?),
        "roc" => single(src, Roc::new(period(0)?).map_err(ind)?),
        "ppo" => single(src, Ppo::new(period(0)?, period(1)?).map_err(ind)?),
        "trix" => single(src, Trix::new(period(0)?).map_err(ind)?),
        "zscore" => single(src, ZScore::new(period(0)?).map_err(ind)?),
        "linreg_slope" => single(src, LinRegSlope::new(period(0)?).map_err(ind)?),
        "ret" => single(src, LogReturn::new(period(0)?).map_err(ind)?),
        "rvol" => single(src, RealizedVol::new(period(0)?).map_err(ind)?),
        "stddev" => {
            let k = spec.args[1];
            let sd = RollingStd::new(period(0)?).map_err(ind)?;
            with(sd, move |sd, c, out| out[0] = sd.update_ta_lib(src.of(c)).map_or(f64::NAN, |v| v * k))
        }
        "macd" => {
            let m = Macd::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(m, move |m, c, out| {
                fill(out, m.update(src.of(c)).map(|v| [v.macd, v.signal, v.hist]).as_ref().map(|a| &a[..]))
            })
        }
        "bbands" | "bb_pct" | "bb_width" => {
            let bands = Bollinger::new(period(0)?, spec.args[1]).map_err(ind)?;
            match spec.name {
                "bbands" => with(bands, move |b, c, out| {
                    fill(out, b.update(src.of(c)).map(|v| [v.upper, v.middle, v.lower]).as_ref().map(|a| &a[..]))
                }),
                "bb_pct" => with(bands, move |b, c, out| {
                    let x = src.of(c);
                    out[0] = b.update(x).map_or(f64::NAN, |v| {
                        let w = v.upper - v.lower;
                        if w != 0.0 { (x - v.lower) / w } else { 0.5 }
                    });
                }),
                _ => with(bands, move |b, c, out| {
                    out[0] = b
                        .update(src.of(c))
                        .map_or(f64::NAN, |v| if v.middle != 0.0 { (v.upper - v.lower) / v.middle } else { 0.0 });
                }),
            }
        }
        "stochrsi" => {
            let s = StochRsi::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(s, move |s, c, out| fill(out, s.update(src.of(c)).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "trange" => bars(TrueRange::new()),
        "atr" => bars(Atr::new(period(0)?).map_err(ind)?),
        "natr" => bars(Natr::new(period(0)?).map_err(ind)?),
        "willr" => bars(WillR::new(period(0)?).map_err(ind)?),
        "cci" => bars(Cci::new(period(0)?).map_err(ind)?),
        "mfi" => bars(Mfi::new(period(0)?).map_err(ind)?),
        "obv" => bars(Obv::new()),
        "ad" => bars(Ad::new()),
        "adosc" => bars(AdOsc::new(period(0)?, period(1)?).map_err(ind)?),
        "ultosc" => bars(UltOsc::new(period(0)?, period(1)?, period(2)?).map_err(ind)?),
        "stoch" => {
            let s = Stoch::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(s, |s, c, out| fill(out, s.update(c).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "stochf" => {
            let s = StochF::new(period(0)?, period(1)?).map_err(ind)?;
            with(s, |s, c, out| fill(out, s.update(c).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "aroon" => {
            let a = Aroon::new(period(0)?).map_err(ind)?;
            with(a, |a, c, out| fill(out, a.update(c).map(|v| [v.down, v.up]).as_ref().map(|a| &a[..])))
        }
        "aroonosc" => {
            let a = Aroon::new(period(0)?).map_err(ind)?;
            with(a, |a, c, out| out[0] = a.update(c).map_or(f64::NAN, |v| v.up - v.down))
        }
        "adx" | "plus_di" | "minus_di" | "dx" => {
            let d = Directional::new(period(0)?).map_err(ind)?;
            let pick: fn(&DirectionalValue) -> Option<f64> = match spec.name {
                "adx" => |v| v.adx,
                "plus_di" => |v| Some(v.plus_di),
                "minus_di" => |v| Some(v.minus_di),
                _ => |v| Some(v.dx),
            };
            with(d, move |d, c, out| out[0] = d.update(c).as_ref().and_then(pick).unwrap_or(f64::NAN))
        }
        "kama" => single(src, Kama::new(period(0)?).map_err(ind)?),
        "t3" => single(src, T3::new(period(0)?, spec.args[1]).map_err(ind)?),
        "sar" => bars(Sar::new(spec.args[0], spec.args[1]).map_err(ind)?),
        "vwap" => bars(Vwap::session()),
        "rvwap" => bars(Vwap::rolling(period(0)?).map_err(ind)?),
        "keltner" | "donchian" => {
            let three = |b: Option<Bands>| b.map(|v| [v.upper, v.middle, v.lower]);
            if spec.name == "keltner" {
                let k = Keltner::new(period(0)?, spec.args[1]).map_err(ind)?;
                with(k, move |k, c, out| fill(out, three(k.update(c)).as_ref().map(|a| &a[..])))
            } else {
                let d = Donchian::new(period(0)?).map_err(ind)?;
                with(d, move |d, c, out| fill(out, three(d.update(c)).as_ref().map(|a| &a[..])))
            }
        }
        "correl" | "beta" => {
            let (a, b) = (src, spec.source2.unwrap_or(Source::Low));
            if spec.name == "correl" {
                let x = Correl::new(period(0)?).map_err(ind)?;
                with(x, move |x, c, out| out[0] = x.update(a.of(c), b.of(c)).unwrap_or(f64::NAN))
            } else {
                let x = Beta::new(period(0)?).map_err(ind)?;
                with(x, move |x, c, out| out[0] = x.update(a.of(c), b.of(c)).unwrap_or(f64::NAN))
            }
        }
        "volume_ratio" => {
            let s = Sma::new(period(0)?).map_err(ind)?;
            with(s, |s, c, out| {
                out[0] = s.update(c.volume).map_or(f64::NAN, |avg| if avg != 0.0 { c.volume / avg } else { 0.0 })
            })
        }
        "rank" => single(src, RollingRank::new(period(0)?).map_err(ind)?),
        "skew" => single(src, ReturnMoment::new(Moment::Skew, period(0)?).map_err(ind)?),
        "kurt" => single(src, ReturnMoment::new(Moment::Kurt, period(0)?).map_err(ind)?),
        "efficiency" => single(src, Efficiency::new(period(0)?).map_err(ind)?),
        "up_frac" => single(src, UpFraction::new(period(0)?).map_err(ind)?),
        "ma_dist" => {
            let s = Sma::new(period(0)?).map_err(ind)?;
            with(s, move |s, c, out| out[0] = distance(src.of(c), s.update(src.of(c))))
        }
        "ema_dist" => {
            let e = Ema::new(period(0)?).map_err(ind)?;
            with(e, move |e, c, out| out[0] = distance(src.of(c), e.update(src.of(c))))
        }
        "hl_range" => bars(RangeAverage::new(RangeMeasure::Relative, period(0)?).map_err(ind)?),
        "parkinson" => bars(RangeAverage::new(RangeMeasure::Parkinson, period(0)?).map_err(ind)?),
        "garman_klass" => bars(RangeAverage::new(RangeMeasure::GarmanKlass, period(0)?).map_err(ind)?),
        "hh_dist" | "ll_dist" => {
            let d = Donchian::new(period(0)?).map_err(ind)?;
            let high = spec.name == "hh_dist";
            with(d, move |d, c, out| {
                out[0] = d.update(c).map_or(f64::NAN, |b| c.close / if high { b.upper } else { b.lower } - 1.0)
            })
        }
        "clv" => bars(BarShape::Clv),
        "body" => bars(BarShape::Body),
        "upper_shadow" => bars(BarShape::UpperShadow),
        "lower_shadow" => bars(BarShape::LowerShadow),
        "gap" => bars(Gap::default()),
        "dow" => bars(CalendarField::DayOfWeek),
        "dom" => bars(CalendarField::DayOfMonth),
        "month" => bars(CalendarField::Month),
        "hour" => bars(CalendarField::Hour),
        "minute" => bars(CalendarField::Minute),
        "tod" => bars(CalendarField::MinuteOfDay),
        other => unreachable!("feature `{other}` is in KINDS but has no builder"),
    })
}
