//! `chokepoint validate`.

use std::process::ExitCode;

/// Arguments of `chokepoint validate`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint validate` is not built yet")
}
