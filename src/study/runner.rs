//! The runner every study stands on: per-thread workers (each with its own engine),
//! runs (or a shard of them) handed out in order, stop between runs, an engine panic
//! turned into an error that names the run, progress as an observer, and results
//! delivered to the study's sink **in run order** as they finish, through a reorder
//! buffer of bounded size (so a study streams: it never needs all runs at once).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use crate::Error;

/// Hears about progress. Called from worker threads.
pub trait Progress: Sync {
    /// `total` runs are about to start (the most, with a target).
    fn start(&self, _total: u64) {}
    /// One more run is done.
    fn run_done(&self) {}
    /// All done.
    fn finish(&self) {}
}

/// Progress that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What the sink says after a run: go on, or stop here (the runs after it are
/// discarded, whether or not they were already simulated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Deliver the next run.
    Continue,
    /// This was the last run wanted.
    Stop,
}

/// How a study's runs are executed: worker threads, the stop flag and the progress
/// observer. The same runner serves every study; the study says what one run is
/// ([`Runner::run`]'s `work`) and what it keeps of it (the `sink`).
pub struct Runner<'a> {
    threads: usize,
    stop: Option<&'a AtomicBool>,
    progress: &'a dyn Progress,
    window: usize,
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("threads", &self.threads)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl<'a> Runner<'a> {
    /// A runner on `threads` workers (>= 1), quiet and unstoppable.
    pub fn new(threads: usize) -> Result<Runner<'a>, Error> {
        if threads == 0 {
            return Err(Error::Invalid("threads is 0: it must be at least 1".into()));
        }
        Ok(Runner {
            threads,
            stop: None,
            progress: &NoProgress,
            window: 4 * threads,
        })
    }

    /// Give up between runs once `stop` is set (by another thread: a Ctrl-C), with
    /// [`Error::Cancelled`].
    pub fn stop_on(mut self, stop: &'a AtomicBool) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Report progress to `progress` (one `run_done` per run simulated).
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }

    /// At most this many runs (>= 1) may be finished and waiting for an earlier one
    /// (default 4 per thread): the reorder buffer's bound.
    pub fn window(mut self, window: usize) -> Self {
        self.window = window.max(1);
        self
    }

    /// Whether the stop flag is set.
    pub fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Simulate `runs` (run indices, in the order they are to be delivered). Each
    /// worker builds its own engine with `make` on its first run (and again after a
    /// panic); `work(engine, i)` simulates run `i`; `sink(i, result)` receives the
    /// results in the order of `runs`, on the calling thread, and says whether to go on.
    ///
    /// Errors: the first failing run in order (its error, or [`Error::Panicked`] naming
    /// it and what `describe(i)` says of it), a sink error, or [`Error::Cancelled`].
    /// What the sink received before is the same whatever the number of threads.
    pub fn run<W, R, M, F, S>(
        &self,
        runs: &[u64],
        make: M,
        work: F,
        describe: &(dyn Fn(u64) -> String + Sync),
        mut sink: S,
    ) -> Result<(), Error>
    where
        R: Send,
        M: Fn() -> Result<W, Error> + Sync,
        F: Fn(&mut W, u64) -> Result<R, Error> + Sync,
        S: FnMut(u64, R) -> Result<Flow, Error>,
    {
        self.progress.start(runs.len() as u64);
        let out = self.execute(runs, &make, &work, describe, &mut sink);
        self.progress.finish();
        out
    }

    /// `work(i)` for every `i` in `0..n`, on the workers, without an engine of their own
    /// (a study whose unit of work builds what it needs, such as an episode replay):
    /// the results in the order of `i`, whatever the number of threads. Errors as
    /// [`Runner::run`]'s, naming the first failing `i` with `describe(i)`.
    pub fn map<R, F>(
        &self,
        n: u64,
        work: F,
        describe: &(dyn Fn(u64) -> String + Sync),
    ) -> Result<Vec<R>, Error>
    where
        R: Send,
        F: Fn(u64) -> Result<R, Error> + Sync,
    {
        let runs: Vec<u64> = (0..n).collect();
        let mut out = Vec::with_capacity(runs.len());
        self.run(
            &runs,
            || Ok(()),
            |_: &mut (), i| work(i),
            describe,
            |_, r| {
                out.push(r);
                Ok(Flow::Continue)
            },
        )?;
        Ok(out)
    }

    fn execute<W, R, M, F, S>(
        &self,
        runs: &[u64],
        make: &M,
        work: &F,
        describe: &(dyn Fn(u64) -> String + Sync),
        sink: &mut S,
    ) -> Result<(), Error>
    where
        R: Send,
        M: Fn() -> Result<W, Error> + Sync,
        F: Fn(&mut W, u64) -> Result<R, Error> + Sync,
        S: FnMut(u64, R) -> Result<Flow, Error>,
    {
        // Positions handed out, delivered, and the first position not to hand out
        // (lowered by a failure or the sink's stop).
        struct Gate {
            next: usize,
            delivered: usize,
            limit: usize,
        }
        let gate = Mutex::new(Gate {
            next: 0,
            delivered: 0,
            limit: runs.len(),
        });
        let moved = Condvar::new();
        let lock = || gate.lock().unwrap_or_else(|e| e.into_inner());
        let (tx, rx) = mpsc::channel::<(usize, Result<R, Error>)>();
        let window = self.window;

        let worker = |tx: mpsc::Sender<(usize, Result<R, Error>)>| {
            let mut engine: Option<W> = None;
            loop {
                let pos = {
                    let mut g = lock();
                    while g.next < g.limit && g.next >= g.delivered + window {
                        g = moved.wait(g).unwrap_or_else(|e| e.into_inner());
                    }
                    if g.next >= g.limit {
                        return;
                    }
                    g.next += 1;
                    g.next - 1
                };
                let i = runs[pos];
                let result = if self.stopped() {
                    Err(Error::Cancelled)
                } else {
                    self.one(&mut engine, make, work, describe, i)
                };
                if result.is_ok() {
                    self.progress.run_done();
                }
                if tx.send((pos, result)).is_err() {
                    return;
                }
            }
        };

        std::thread::scope(|scope| {
            for _ in 0..self.threads.min(runs.len()) {
                let tx = tx.clone();
                scope.spawn(|| worker(tx));
            }
            drop(tx);
            let mut buffer: BTreeMap<usize, Result<R, Error>> = BTreeMap::new();
            let mut next = 0usize;
            let finish = |limit: usize| {
                let mut g = lock();
                g.limit = g.limit.min(limit);
                moved.notify_all();
            };
            let mut outcome = Ok(());
            'receive: for (pos, result) in rx.iter() {
                if result.is_err() {
                    // No run after a failure is wanted; those before it still are.
                    finish(pos + 1);
                }
                buffer.insert(pos, result);
                while let Some(result) = buffer.remove(&next) {
                    let i = runs[next];
                    next += 1;
                    {
                        let mut g = lock();
                        g.delivered = next;
                        moved.notify_all();
                    }
                    let flow = result.and_then(|r| sink(i, r));
                    match flow {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Stop) => {
                            finish(next);
                            break 'receive;
                        }
                        Err(e) => {
                            finish(next);
                            outcome = Err(e);
                            break 'receive;
                        }
                    }
                }
            }
            // Let every worker see the limit and end (the scope joins them).
            finish(0);
            outcome
        })
    }

    /// Run `i` on this worker's engine (built first if need be), a panic caught.
    fn one<W, R, M, F>(
        &self,
        engine: &mut Option<W>,
        make: &M,
        work: &F,
        describe: &(dyn Fn(u64) -> String + Sync),
        i: u64,
    ) -> Result<R, Error>
    where
        M: Fn() -> Result<W, Error>,
        F: Fn(&mut W, u64) -> Result<R, Error>,
    {
        if engine.is_none() {
            *engine = Some(make()?);
        }
        let Some(e) = engine.as_mut() else {
            return Err(Error::Invalid("engine not built".into()));
        };
        match catch_unwind(AssertUnwindSafe(|| work(e, i))) {
            Ok(r) => r,
            Err(panic) => {
                // The engine may be broken now: build a fresh one for the next run.
                *engine = None;
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(Error::Panicked {
                    run: i,
                    message,
                    context: describe(i),
                })
            }
        }
    }
}

/// No description of a run beyond its index (for [`Runner::run`]).
pub fn no_description(_: u64) -> String {
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn collect(threads: usize, runs: &[u64], window: usize) -> Vec<(u64, u64)> {
        let mut got = Vec::new();
        Runner::new(threads)
            .unwrap()
            .window(window)
            .run(
                runs,
                || Ok(0u64),
                |calls, i| {
                    *calls += 1;
                    // Uneven work, so runs finish out of order.
                    let spin = (i * 7919) % 13;
                    let mut x = i;
                    for _ in 0..spin * 1000 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
                    }
                    Ok(i * i)
                },
                &no_description,
                |i, r| {
                    got.push((i, r));
                    Ok(Flow::Continue)
                },
            )
            .unwrap();
        got
    }

    #[test]
    fn results_come_in_run_order_for_any_thread_count() {
        let runs: Vec<u64> = (0..200).map(|k| k * 3 + 1).collect();
        let want: Vec<(u64, u64)> = runs.iter().map(|&i| (i, i * i)).collect();
        for threads in 1..=4 {
            for window in [1, 2, 8] {
                assert_eq!(collect(threads, &runs, window), want);
            }
        }
    }

    #[test]
    fn a_panic_becomes_an_error_naming_the_first_failing_run() {
        let runs: Vec<u64> = (0..50).collect();
        let mut got = Vec::new();
        let err = Runner::new(3)
            .unwrap()
            .run(
                &runs,
                || Ok(()),
                |_, i| {
                    if i == 17 || i == 30 {
                        panic!("injected failure");
                    }
                    Ok(i)
                },
                &|i| format!("closures of run {i}"),
                |i, r| {
                    got.push((i, r));
                    Ok(Flow::Continue)
                },
            )
            .unwrap_err();
        match &err {
            Error::Panicked {
                run,
                message,
                context,
            } => {
                assert_eq!(*run, 17);
                assert_eq!(message, "injected failure");
                assert_eq!(context, "closures of run 17");
            }
            e => panic!("expected Panicked, got {e:?}"),
        }
        assert!(err.to_string().contains("run 17"), "{err}");
        // Every run before the failing one was delivered, none after it.
        assert_eq!(got, (0..17).map(|i| (i, i)).collect::<Vec<_>>());
    }

    #[test]
    fn the_sink_can_stop_and_nothing_after_is_delivered() {
        let runs: Vec<u64> = (0..100).collect();
        let mut got = Vec::new();
        Runner::new(2)
            .unwrap()
            .run(
                &runs,
                || Ok(()),
                |_, i| Ok(i),
                &no_description,
                |i, _| {
                    got.push(i);
                    Ok(if i == 41 { Flow::Stop } else { Flow::Continue })
                },
            )
            .unwrap();
        assert_eq!(got, (0..=41).collect::<Vec<_>>());
    }

    #[test]
    fn a_set_stop_flag_cancels_between_runs() {
        let stop = AtomicBool::new(false);
        let runs: Vec<u64> = (0..1000).collect();
        let done = AtomicUsize::new(0);
        let mut got = 0u64;
        let err = Runner::new(2)
            .unwrap()
            .stop_on(&stop)
            .run(
                &runs,
                || Ok(()),
                |_, i| {
                    if i == 10 {
                        stop.store(true, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    Ok(i)
                },
                &no_description,
                |_, _| {
                    got += 1;
                    Ok(Flow::Continue)
                },
            )
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err:?}");
        assert!(got < 1000);
        assert!(done.load(Ordering::Relaxed) < 1000);
    }

    #[test]
    fn an_engine_that_cannot_be_built_is_an_error() {
        let err = Runner::new(2)
            .unwrap()
            .run(
                &[0, 1, 2],
                || -> Result<(), Error> { Err(Error::Invalid("no engine".into())) },
                |_, i| Ok(i),
                &no_description,
                |_, _| Ok(Flow::Continue),
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "no engine");
    }

    #[test]
    fn map_gives_every_result_in_order_and_names_a_panic() {
        for threads in [1, 2, 3] {
            let r = Runner::new(threads).unwrap();
            let squares = r.map(50, |i| Ok(i * i), &no_description).unwrap();
            assert_eq!(squares, (0..50).map(|i| i * i).collect::<Vec<u64>>());
            let e = r
                .map(
                    50,
                    |i| {
                        if i == 17 {
                            panic!("boom");
                        }
                        Ok(i)
                    },
                    &|i| format!(" (proposal {i})"),
                )
                .unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("17") && msg.contains("proposal 17"), "{msg}");
        }
    }

    #[test]
    fn zero_threads_is_refused() {
        assert!(Runner::new(0).is_err());
    }
}
