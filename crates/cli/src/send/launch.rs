//! Many deliveries: a fixed number of workers (`--concurrency`), each taking
//! the next delivery and running it with its retries; starts paced by
//! `--rate`; a share of deliveries resending an earlier body
//! (`--duplicates`); progress on stderr and the summary at the end.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::attempt::{Sender, now_ms};
use super::deliveries::{Delivery, Kind};
use super::report::{Record, Tally};

/// Where the deliveries come from.
pub(crate) enum Source {
    /// Generated: a fresh delivery of each kind in turn.
    Kinds(Vec<Kind>),
    /// `--body` files, sent as they are, in turn.
    Bodies(Vec<Arc<Delivery>>),
}

impl Source {
    pub(crate) fn len(&self) -> usize {
        match self {
            Source::Kinds(kinds) => kinds.len(),
            Source::Bodies(bodies) => bodies.len(),
        }
    }
}

/// A checked `hotmart send`.
pub(crate) struct Plan {
    pub(crate) source: Source,
    pub(crate) hottok: String,
    /// How many deliveries, duplicates included.
    pub(crate) count: u64,
    /// `--count` was given: progress and a summary instead of history lines.
    pub(crate) launch: bool,
    pub(crate) concurrency: usize,
    pub(crate) rate: Option<f64>,
    pub(crate) duplicates: f64,
    pub(crate) json: bool,
}

/// Recent unique deliveries that a duplicate may resend (bounded, so a
/// launch of millions does not keep every body).
const POOL: usize = 1024;

/// Hands out deliveries in order.
struct Claims {
    next: u64,
    unique: u64,
    pool: VecDeque<Arc<Delivery>>,
}

struct Shared {
    plan: Plan,
    claims: Mutex<Claims>,
    tally: Mutex<Tally>,
    progress: Progress,
    start: Instant,
}

/// How a run ended.
pub(crate) struct Outcome {
    pub(crate) failed: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the plan to the end and prints what the user reads.
pub(crate) async fn run(plan: Plan, sender: Arc<Sender>) -> Outcome {
    let workers = (plan.concurrency as u64).min(plan.count) as usize;
    let progress = Progress::new(&plan);
    let shared = Arc::new(Shared {
        claims: Mutex::new(Claims {
            next: 0,
            unique: 0,
            pool: VecDeque::new(),
        }),
        tally: Mutex::new(Tally::default()),
        progress,
        start: Instant::now(),
        plan,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let shared = Arc::clone(&shared);
        let sender = Arc::clone(&sender);
        tasks.spawn(async move {
            while let Some((index, delivery, duplicate)) = shared.claim() {
                if let Some(rate) = shared.plan.rate {
                    let due = shared.start + Duration::from_secs_f64(index as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let succeeded = sender
                    .deliver(&delivery, |attempt| {
                        lock(&shared.tally).attempt(attempt);
                        shared.print_attempt(&Record::new(&delivery, attempt, duplicate));
                    })
                    .await;
                let (done, failed) = {
                    let mut tally = lock(&shared.tally);
                    tally.delivery(succeeded, duplicate);
                    (tally.deliveries, tally.failed())
                };
                shared.progress.advance(done, failed);
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            eprintln!("error: a sending task failed: {e}");
        }
    }
    let elapsed = shared.start.elapsed();
    shared.progress.finish();
    let tally = std::mem::take(&mut *lock(&shared.tally));
    let failed = tally.failed();
    let deliveries = tally.deliveries;
    let summary = tally.summary(elapsed);
    if shared.plan.launch {
        let text = if shared.plan.json {
            summary.to_json()
        } else {
            summary.to_text()
        };
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    } else if failed > 0 {
        eprintln!("{failed} of {deliveries} deliveries were not answered 2xx");
    }
    Outcome { failed }
}

impl Shared {
    /// The next delivery: its index, its body, and whether it resends an
    /// earlier one. Duplicates are spread evenly: exactly
    /// `floor(count × fraction)` of them.
    fn claim(&self) -> Option<(u64, Arc<Delivery>, bool)> {
        let plan = &self.plan;
        let mut claims = lock(&self.claims);
        let index = claims.next;
        if index >= plan.count {
            return None;
        }
        claims.next += 1;
        let f = plan.duplicates;
        let duplicate = (((index + 1) as f64 * f).floor() > (index as f64 * f).floor())
            && !claims.pool.is_empty();
        if duplicate {
            let pick = fastrand::usize(..claims.pool.len());
            return Some((index, Arc::clone(&claims.pool[pick]), true));
        }
        let n = claims.unique as usize;
        claims.unique += 1;
        let delivery = match &plan.source {
            Source::Kinds(kinds) => {
                Arc::new(kinds[n % kinds.len()].generate(&plan.hottok, now_ms()))
            }
            Source::Bodies(bodies) => Arc::clone(&bodies[n % bodies.len()]),
        };
        if claims.pool.len() == POOL {
            claims.pool.pop_front();
        }
        claims.pool.push_back(Arc::clone(&delivery));
        Some((index, delivery, false))
    }

    /// A history line, or a `--json` record; nothing in a text launch (the
    /// progress bar and the summary say it).
    fn print_attempt(&self, record: &Record<'_>) {
        let line = if self.plan.json {
            record.to_json()
        } else if !self.plan.launch {
            record.to_text()
        } else {
            return;
        };
        self.progress.suspend(|| {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        });
    }
}

/// Launch progress on stderr: indicatif's bar on a terminal, a plain line
/// every tenth otherwise; nothing outside launch mode.
enum Progress {
    None,
    Bar(ProgressBar),
    Lines { count: u64, last_tenth: Mutex<u64> },
}

impl Progress {
    fn new(plan: &Plan) -> Self {
        if !plan.launch {
            Progress::None
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(plan.count), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:40} {pos}/{len} deliveries  {per_sec}  eta {eta}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                count: plan.count,
                last_tenth: Mutex::new(0),
            }
        }
    }

    fn advance(&self, done: u64, failed: u64) {
        match self {
            Progress::None => {}
            Progress::Bar(bar) => {
                bar.set_position(done);
                if failed > 0 {
                    bar.set_message(format!("{failed} failed"));
                }
            }
            Progress::Lines { count, last_tenth } => {
                let tenth = done * 10 / count;
                let mut last = lock(last_tenth);
                if tenth > *last {
                    *last = tenth;
                    eprintln!(
                        "{done}/{count} deliveries ({}%), {failed} failed",
                        tenth * 10
                    );
                }
            }
        }
    }

    fn suspend(&self, f: impl FnOnce()) {
        match self {
            Progress::Bar(bar) => bar.suspend(f),
            _ => f(),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish();
        }
    }
}
