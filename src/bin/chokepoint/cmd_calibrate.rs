//! `chokepoint calibrate`.

use std::process::ExitCode;

/// Arguments of `chokepoint calibrate`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`chokepoint calibrate` is not built yet")
}
