//! `chokepoint info`.

use std::process::ExitCode;

/// Arguments of `chokepoint info`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint info` is not built yet")
}
