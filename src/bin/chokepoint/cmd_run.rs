//! `chokepoint run`.

use std::process::ExitCode;

/// Arguments of `chokepoint run`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint run` is not built yet")
}
