//! Fees and slippage in a settings file: the spec text the CLI's flags and
//! Python take (`"bps:10"`), or the table form (`{ model = "rate", ... }`),
//! each read by its own parser so an error names what is wrong.

use std::fmt;
use std::marker::PhantomData;

use pyrt_sim::{Fees, Slippage};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

pub fn fees<'de, D: Deserializer<'de>>(d: D) -> Result<Fees, D::Error> {
    d.deserialize_any(SpecOrTable(|s| pyrt_sim::parse_fees(s).map_err(|e| e.to_string()), PhantomData))
}

pub fn slippage<'de, D: Deserializer<'de>>(d: D) -> Result<Slippage, D::Error> {
    d.deserialize_any(SpecOrTable(|s| pyrt_sim::parse_slippage(s).map_err(|e| e.to_string()), PhantomData))
}

struct SpecOrTable<T>(fn(&str) -> Result<T, String>, PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpecOrTable<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a spec such as \"bps:10\" or a table with a `model`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use crate::RunConfig;

    #[test]
    fn fees_and_slippage_read_as_specs_or_tables() {
        let spec: RunConfig = toml::from_str("[execution]\nfees = \"bps:10\"\nslippage = \"bps:2\"\n").unwrap();
        let table: RunConfig =
            toml::from_str("[execution]\nfees = { model = \"rate\", maker = 0.001, taker = 0.001 }\n").unwrap();
        assert_eq!(spec.execution.fees, table.execution.fees);
        assert_eq!(spec.execution.slippage, pyrt_sim::parse_slippage("bps:2").unwrap());
        let e = toml::from_str::<RunConfig>("[execution]\nfees = \"bps:ten\"\n").unwrap_err().to_string();
        assert!(e.contains("bps:ten"), "{e}");
        let e = toml::from_str::<RunConfig>("[execution]\nfees = { model = \"rate\", makr = 1 }\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `makr`"), "{e}");
        let e = toml::from_str::<RunConfig>("[execution]\nfees = 3\n").unwrap_err().to_string();
        assert!(e.contains("a spec such as \"bps:10\" or a table"), "{e}");
    }
}
