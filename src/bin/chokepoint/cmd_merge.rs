//! `chokepoint merge`: the shards of a study into the files one process writes. The
//! kind of study is read from the first shard; each kind's merge lives with its command
//! (`cmd_montecarlo`, `cmd_compare`, `cmd_uncertainty`), which know nothing of this one.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Example:
  chokepoint merge out/shard1 out/shard2 out/shard3 --out out/mc")]
pub struct Args {
    /// Folders written by `montecarlo --shard k/n` (or `compare --shard`, `uncertainty
    /// --shard`), one per shard (any order), all of one study (their shard.json agree in
    /// every field but the shard).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output folder: the files one process would have written.
    #[arg(long)]
    out: PathBuf,
    /// Replace the files chokepoint wrote in --out for another study (others are kept).
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let same = |a: &PathBuf| {
        a.canonicalize()
            .ok()
            .is_some_and(|a| Some(a) == args.out.canonicalize().ok())
    };
    if let Some(d) = args.dirs.iter().find(|d| same(d)) {
        return Err(chokepoint::Error::Invalid(format!(
            "--out {} is one of the shard folders: write the merged result elsewhere",
            d.display()
        ))
        .into());
    }
    let first = args.dirs.first();
    if first.is_some_and(|d| chokepoint::compare::output::is_compare_shard(d)) {
        crate::cmd_compare::merge(&args.dirs, &args.out, args.force)
    } else if first.is_some_and(|d| chokepoint::uncertainty::study::shard::is_shard(d)) {
        crate::cmd_uncertainty::merge(&args.dirs, &args.out, args.force)
    } else {
        crate::cmd_montecarlo::merge(&args.dirs, &args.out, args.force)
    }
}
