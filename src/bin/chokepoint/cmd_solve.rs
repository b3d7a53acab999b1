//! `chokepoint solve`.

use std::process::ExitCode;

/// Arguments of `chokepoint solve`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint solve` is not built yet")
}
