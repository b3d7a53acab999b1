//! Our side of the peer benchmark (`benches/peers/run.sh`).
//!
//! ```text
//! cargo run --release --example flow_peers -- gen DIR        # write the instances
//! cargo run --release --example flow_peers -- time DIR REPS  # time our solver on them
//! ```
//!
//! `gen` writes every instance of `chokepoint::flow::generate::benchmark_set()` as
//! `DIR/NAME.min`, and the same instance with its busiest border crossing closed as
//! `DIR/NAME-closed.min` (the next day after a closure). `time` reads those files back and
//! prints one tab-separated line per instance: name, objective, median cold solve (µs),
//! objective after the closure, median warm re-solve after the closure (µs), median warm
//! solve with nothing changed (µs). It checks that warm and cold objectives agree.

use std::error::Error;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use chokepoint::flow::dimacs::{self, Problem};
use chokepoint::flow::generate::{benchmark_set, busiest_crossing};
use chokepoint::flow::NetworkSimplex;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") if args.len() == 2 => generate(Path::new(&args[1])),
        Some("time") if args.len() == 3 => time(Path::new(&args[1]), args[2].parse()?),
        _ => Err("usage: flow_peers gen DIR | flow_peers time DIR REPS".into()),
    }
}

fn write_problem(path: &Path, p: &Problem) -> Res<()> {
    let tmp = path.with_extension("min.tmp");
    let mut w = BufWriter::new(File::create(&tmp)?);
    dimacs::write(&mut w, p)?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn generate(dir: &Path) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for mut inst in benchmark_set() {
        let base = Problem::from_solver(&inst.solver);
        write_problem(&dir.join(format!("{}.min", inst.name)), &base)?;
        let arc = busiest_crossing(&mut inst)?.ok_or("instance without crossings")?;
        let mut closed = base.clone();
        closed.arcs[arc].capacity = 0;
        write_problem(&dir.join(format!("{}-closed.min", inst.name)), &closed)?;
        // The closed arc, 1-based as in DIMACS, for anyone who wants to re-solve warm.
        std::fs::write(
            dir.join(format!("{}.closure", inst.name)),
            format!("{}\n", arc + 1),
        )?;
        names.push(inst.name);
    }
    std::fs::write(dir.join("instances.txt"), names.join("\n") + "\n")?;
    eprintln!("wrote {} instances to {}", names.len(), dir.display());
    Ok(())
}

fn read_problem(path: &Path) -> Res<Problem> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(dimacs::read(BufReader::new(f))?)
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

fn time(dir: &Path, reps: usize) -> Res<()> {
    let reps = reps.max(1);
    let names = std::fs::read_to_string(dir.join("instances.txt"))?;
    for name in names.lines().filter(|l| !l.is_empty()) {
        let base = read_problem(&dir.join(format!("{name}.min")))?;
        let closed_p = read_problem(&dir.join(format!("{name}-closed.min")))?;
        let arc: usize = std::fs::read_to_string(dir.join(format!("{name}.closure")))?
            .trim()
            .parse::<usize>()?
            - 1;
        let mut ns = base.to_solver()?;
        // Large instances: fewer repetitions.
        let r = if base.arcs.len() > 20_000 {
            reps.div_ceil(10).max(3)
        } else {
            reps
        };
        let mut cold = Vec::with_capacity(r);
        let mut obj = 0;
        for _ in 0..r {
            let t = Instant::now();
            obj = ns.solve_cold()?;
            cold.push(t.elapsed());
        }
        // Warm after the closure, from the optimal basis of the base instance.
        let mut warm = Vec::with_capacity(r);
        let mut obj_closed = 0;
        for _ in 0..r {
            let mut w: NetworkSimplex = ns.clone();
            let t = Instant::now();
            w.set_capacity(arc, 0);
            obj_closed = w.solve()?;
            warm.push(t.elapsed());
        }
        let cold_closed = closed_p.to_solver()?.solve_cold()?;
        if cold_closed != obj_closed {
            return Err(format!("{name}: warm {obj_closed} != cold {cold_closed}").into());
        }
        // Nothing changed.
        let mut same = Vec::with_capacity(r);
        for _ in 0..r {
            let t = Instant::now();
            let o = ns.solve()?;
            same.push(t.elapsed());
            if o != obj {
                return Err(format!("{name}: unchanged re-solve gave {o} != {obj}").into());
            }
        }
        if std::env::var_os("FLOW_PEERS_PIVOTS").is_some() {
            ns.solve_cold()?;
            let p = ns.pivots();
            let mut w = ns.clone();
            w.set_capacity(arc, 0);
            w.solve()?;
            eprintln!(
                "{name}: {p} pivots cold, {} warm after the closure",
                w.pivots()
            );
        }
        println!(
            "{name}\t{obj}\t{:.3}\t{obj_closed}\t{:.3}\t{:.3}",
            median(cold),
            median(warm),
            median(same)
        );
    }
    Ok(())
}
