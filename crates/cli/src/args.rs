//! The command line, declared once with clap's derive: every subcommand, every option and its help text live on
//! these types, so `meetcrypt --help`, `meetcrypt SUBCOMMAND --help` and the shell completions
//! (`meetcrypt completions bash`) always list what the parser accepts.

use std::path::PathBuf;

use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand};
use ledger::Timestamp;
use pnl::{Method, Pools};

use crate::CliError;

/// meetcrypt: a read-only crypto portfolio and PnL tracker.
///
/// Files are in the open formats of docs/ledger-format.md. Output goes to stdout unless `--out FILE` is given.
#[derive(Debug, Parser)]
#[command(name = "meetcrypt", disable_version_flag = true)]
pub struct Cli {
    /// Print the version and the PnL engine's version.
    #[arg(short = 'V', long)]
    pub version: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pull every key's accounts through a relay into DIR/ledger.jsonl and DIR/balances.json (resumes from DIR).
    Sync(SyncArgs),
    /// The PnL report as JSON, from a ledger and prices, or recomputed from a bundle and checked.
    Pnl(PnlArgs),
    /// The ledger or the report in other formats.
    #[command(subcommand)]
    Export(Export),
    /// Print a completion script for a shell (e.g. `meetcrypt completions bash > /etc/bash_completion.d/meetcrypt`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `meetcrypt sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The relay, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub relay: String,
    /// Keys as JSON: {"keys":[{"venue","label","api_key","secret","passphrase"}, ...]} (the sandbox's sandbox.json
    /// works as is).
    #[arg(long, value_name = "FILE")]
    pub keys: PathBuf,
    /// Where ledger.jsonl, balances.json, positions.json and sync-state.json are kept; a second run resumes and
    /// brings them up to date.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// History to backfill, in days (streams the venue keeps for less start there).
    #[arg(long, value_name = "N", default_value_t = 90)]
    pub days: i64,
    /// Read every stream from its cursor (a full cycle); without it, a run over a directory synced within the hour
    /// reads the balances and only the streams that can explain what moved.
    #[arg(long)]
    pub full: bool,
    /// Accept keys that can trade (refused by default).
    #[arg(long)]
    pub allow_trade: bool,
    /// Accept keys that can transfer between accounts (refused by default).
    #[arg(long)]
    pub allow_transfer: bool,
    /// Accept keys that can borrow on margin (refused by default). Keys that can withdraw are always refused.
    #[arg(long)]
    pub allow_borrow: bool,
    /// How long one request may take before it is retried.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Print only the summary, not the progress.
    #[arg(long)]
    pub quiet: bool,
}

/// `meetcrypt pnl`: from a ledger or from a bundle.
#[derive(Debug, Args)]
#[command(group = ArgGroup::new("source").required(true).args(["ledger", "bundle"]))]
pub struct PnlArgs {
    /// What to compute from.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Recompute a bundle (from `meetcrypt export bundle`) and check the result matches the report it carries. A
    /// bundle carries its own ledger, prices and settings, so none of those options go with it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ledger", "prices", "positions", "settings"])]
    pub bundle: Option<String>,
    /// The sync state `meetcrypt sync` keeps (DIR/sync-state.json): also print, on stderr, per account "complete"
    /// or the residuals of its wallets and assets, the venue's balance against the ledger's (docs/sync.md,
    /// "Balances explained").
    #[arg(long, value_name = "FILE", conflicts_with = "bundle")]
    pub state: Option<String>,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
}

/// The exports.
#[derive(Debug, Subcommand)]
pub enum Export {
    /// The ledger as Koinly's universal CSV.
    Koinly {
        /// The ledger (JSON Lines).
        #[arg(long, value_name = "FILE")]
        ledger: String,
        /// Only this account's events (e.g. binance/main/spot).
        #[arg(long, value_name = "A")]
        account: Option<String>,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// A Koinly universal CSV as a ledger (JSON Lines).
    Ledger {
        /// The CSV.
        #[arg(long, value_name = "FILE")]
        koinly: String,
        /// The account its rows belong to (rows written by meetcrypt carry their own).
        #[arg(long, value_name = "A")]
        account: String,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// The report as CSV: one row per disposal with the lots used, then a summary.
    #[command(group = ArgGroup::new("source").required(true).args(["ledger"]))]
    ReportCsv {
        /// What to compute from.
        #[command(flatten)]
        inputs: InputArgs,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
    /// A verifiable bundle: ledger, prices, settings, engine version and report.
    #[command(group = ArgGroup::new("source").required(true).args(["ledger"]))]
    Bundle {
        /// What to compute from.
        #[command(flatten)]
        inputs: InputArgs,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
    },
}

/// A report's inputs: `--ledger`, `--prices`, `--positions` and the settings.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The ledger (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<String>,
    /// Price points (JSON Lines); without it, only what needs no price is valued.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<String>,
    /// Open futures positions (JSON), as `meetcrypt sync` keeps them.
    #[arg(long, value_name = "FILE")]
    pub positions: Option<String>,
    /// The engine's settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// The engine's settings; each left out keeps the default of docs/accounting.md.
#[derive(Debug, Args)]
#[group(id = "settings", multiple = true)]
pub struct SettingsArgs {
    /// Profit currency: every value in the report is in it.
    #[arg(long, value_name = "C", default_value = "USD", value_parser = currency)]
    pub currency: String,
    /// Cost-basis method: fifo, lifo, hifo, acb or uk (HMRC share pooling).
    #[arg(long, value_name = "METHOD", default_value = "fifo")]
    pub method: Method,
    /// Fees raise the acquired lot's cost or reduce the proceeds; false: each fee is a disposal.
    #[arg(long, value_name = "BOOL", default_value = "true", value_parser = boolean, action = ArgAction::Set)]
    pub fees_in_cost_basis: bool,
    /// Cost-basis pools: universal or per-account.
    #[arg(long, value_name = "POOLS", default_value = "universal")]
    pub pools: Pools,
    /// USDT, USDC, FDUSD and BUSD count as USD at 1.
    #[arg(long, value_name = "BOOL", default_value = "true", value_parser = boolean, action = ArgAction::Set)]
    pub stablecoins_as_usd: bool,
    /// An unmatched deposit of a non-cash asset opens a lot at its market value.
    #[arg(long, value_name = "BOOL", default_value = "false", value_parser = boolean, action = ArgAction::Set)]
    pub deposits_at_market: bool,
    /// Start of the report window, RFC 3339 UTC (e.g. 2024-01-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub from: Option<Timestamp>,
    /// End of the report window, RFC 3339 UTC.
    #[arg(long, value_name = "TIME")]
    pub to: Option<Timestamp>,
    /// The user's decisions as JSON: transfers matched by hand, legs marked income or expense, and the cost of
    /// deposits from outside (docs/ledger-format.md, "Decisions").
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<String>,
}

/// `true` or `false` (also yes/no, on/off, 1/0).
fn boolean(v: &str) -> Result<bool, String> {
    match v {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

/// An asset symbol such as USD or EUR, upper-cased.
fn currency(c: &str) -> Result<String, String> {
    if c.is_empty() || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("expected an asset symbol such as USD or EUR".into());
    }
    Ok(c.to_ascii_uppercase())
}

impl SettingsArgs {
    /// The engine's settings, checked: the window's start is not after its end.
    pub fn settings(&self) -> Result<pnl::Settings, CliError> {
        if let (Some(f), Some(t)) = (self.from, self.to)
            && f > t
        {
            return Err(CliError::Usage(format!("--from {f} is after --to {t}")));
        }
        let mut s = pnl::Settings {
            currency: self.currency.clone(),
            method: self.method,
            pools: self.pools,
            fees_in_cost_basis: self.fees_in_cost_basis,
            stablecoins_as_usd: self.stablecoins_as_usd,
            deposits_at_market: self.deposits_at_market,
            ..pnl::Settings::default()
        };
        s.window.from = self.from;
        s.window.to = self.to;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_are_the_engines() {
        let Some(Command::Pnl(p)) = Cli::try_parse_from(["meetcrypt", "pnl", "--ledger", "l"]).unwrap().command else {
            panic!("not pnl")
        };
        let s = p.inputs.settings.settings().unwrap();
        let d = pnl::Settings::default();
        assert_eq!(
            (s.currency, s.method, s.pools, s.fees_in_cost_basis, s.stablecoins_as_usd, s.deposits_at_market),
            (d.currency, d.method, d.pools, d.fees_in_cost_basis, d.stablecoins_as_usd, d.deposits_at_market)
        );
    }

    #[test]
    fn sync_arguments() {
        let parse = |v: &[&str]| Cli::try_parse_from(["meetcrypt", "sync"].iter().chain(v));
        let Some(Command::Sync(a)) =
            parse(&["--relay", "http://127.0.0.1:8080", "--keys", "k.json", "--out", "d", "--days", "30"])
                .unwrap()
                .command
        else {
            panic!("not sync")
        };
        assert_eq!(
            (a.relay.as_str(), a.days, a.allow_trade, a.full, a.timeout_ms),
            ("http://127.0.0.1:8080", 30, false, false, 10_000)
        );
        let Some(Command::Sync(a)) =
            parse(&["--relay", "r", "--keys", "k", "--out", "d", "--allow-trade", "--full"]).unwrap().command
        else {
            panic!("not sync")
        };
        assert!(a.allow_trade && !a.allow_transfer && a.full);
        assert!(parse(&["--keys", "k", "--out", "d"]).unwrap_err().to_string().contains("--relay <URL>"));
        assert!(parse(&["--relay"]).unwrap_err().to_string().contains("a value is required for '--relay <URL>'"));
        assert!(parse(&["--bogus"]).unwrap_err().to_string().contains("unexpected argument '--bogus'"));
    }
}
