//! `chokepoint montecarlo`.

use std::process::ExitCode;

/// Arguments of `chokepoint montecarlo`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint montecarlo` is not built yet")
}

/// Arguments of `chokepoint merge`.
#[derive(clap::Args)]
pub struct MergeArgs {}

pub fn merge(_args: MergeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint merge` is not built yet")
}
