//! A small hand-written parser for `--flag value` arguments.

use crate::CliError;

/// Parsed `--name value` pairs, in order; every flag takes a value.
pub struct Args {
    pairs: Vec<(String, String)>,
}

impl Args {
    /// Parses `--name value` and `--name=value`. `allowed` lists the accepted names (without `--`).
    pub fn parse(argv: &[String], allowed: &[&str]) -> Result<Self, CliError> {
        let mut pairs = Vec::new();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                return Err(CliError::Usage(format!("unexpected argument {a:?}")));
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it.next().ok_or_else(|| CliError::Usage(format!("--{name} needs a value")))?;
                    (name.to_string(), v.clone())
                }
            };
            if !allowed.contains(&name.as_str()) {
                return Err(CliError::Usage(format!("unknown option --{name}")));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(CliError::Usage(format!("--{name} given twice")));
            }
            pairs.push((name, value));
        }
        Ok(Args { pairs })
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<String> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// The value of `--name`, required.
    pub fn required(&self, name: &str) -> Result<String, CliError> {
        self.get(name).ok_or_else(|| CliError::Usage(format!("--{name} is required")))
    }

    /// Parses the value of `--name` with `FromStr`.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, CliError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name).map(|v| v.parse::<T>().map_err(|e| CliError::Usage(format!("--{name} {v:?}: {e}")))).transpose()
    }

    /// Whether any of `names` was given.
    pub fn has_any(&self, names: &[&str]) -> Option<String> {
        self.pairs.iter().find(|(n, _)| names.contains(&n.as_str())).map(|(n, _)| n.clone())
    }
}

/// `true` or `false`.
pub fn boolean(name: &str, v: &str) -> Result<bool, CliError> {
    match v {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(CliError::Usage(format!("--{name} {v:?}: expected true or false"))),
    }
}

/// The settings flags shared by `pnl` and the exports.
pub const SETTINGS_FLAGS: [&str; 8] =
    ["currency", "method", "fees-in-cost-basis", "pools", "stablecoins-as-usd", "deposits-at-market", "from", "to"];

/// Reads the settings flags.
pub fn settings(a: &Args) -> Result<pnl::Settings, CliError> {
    let mut s = pnl::Settings::default();
    if let Some(c) = a.get("currency") {
        if c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CliError::Usage(format!("--currency {c:?}: expected an asset symbol such as USD or EUR")));
        }
        s.currency = c.to_ascii_uppercase();
    }
    if let Some(m) = a.parsed("method")? {
        s.method = m;
    }
    if let Some(p) = a.parsed("pools")? {
        s.pools = p;
    }
    if let Some(v) = a.get("fees-in-cost-basis") {
        s.fees_in_cost_basis = boolean("fees-in-cost-basis", &v)?;
    }
    if let Some(v) = a.get("stablecoins-as-usd") {
        s.stablecoins_as_usd = boolean("stablecoins-as-usd", &v)?;
    }
    if let Some(v) = a.get("deposits-at-market") {
        s.deposits_at_market = boolean("deposits-at-market", &v)?;
    }
    s.window.from = a.parsed("from")?;
    s.window.to = a.parsed("to")?;
    if let (Some(f), Some(t)) = (s.window.from, s.window.to)
        && f > t
    {
        return Err(CliError::Usage(format!("--from {f} is after --to {t}")));
    }
    Ok(s)
}
