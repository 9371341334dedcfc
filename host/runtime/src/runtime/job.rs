//! One queued task: what to run and the refs to resolve, run on a worker with its
//! retries, its timeline span and, for a tuple result split into refs, one value each.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use wask_core::{ObjectId, TaskError, TaskOutput, TenantId, Value};

use super::events::Observed;
use super::memo::Memo;
use super::remote::RemoteTask;
use super::submit::Arg;
use crate::entries::EntryDir;
use crate::object_store::{Completer, RunInfo};
use crate::sandbox::{InvokeOptions, Phases, Spent, TaskComponent};
use crate::timeline::{Recorder, TaskSpan};

/// One queued task: what to run, and the refs to resolve.
///
/// **Invariant:** `run` is called at most once, and only when every `Arg::Ref` in
/// `args` is ready; every completer is resolved by it, or by its drop.
pub(super) struct TaskJob {
    pub(super) component: TaskComponent,
    pub(super) func: usize,
    pub(super) args: Vec<Arg>,
    pub(super) invoke: InvokeOptions,
    pub(super) max_retries: u32,
    /// One per ref: several when the tuple result is split.
    pub(super) completers: Vec<Completer>,
    pub(super) timeline: Option<Arc<Recorder>>,
    pub(super) submitted: Instant,
    pub(super) id: ObjectId,
    pub(super) tenant: TenantId,
    pub(super) priority: i32,
    /// Submitted by a running task.
    pub(super) nested: bool,
    /// The runtime's observer, told when the task starts and finishes.
    pub(super) observed: Option<Observed>,
    /// The tenant's cap on tasks running at once.
    pub(super) max_concurrency: usize,
    /// For a memoised task: the runtime's memo cache and its folder.
    pub(super) memo: Option<(Arc<Memo>, Arc<EntryDir>)>,
}

/// A wall-clock time for an instant, by its offset from a pair taken together.
fn wall(at: Instant, base: (Instant, SystemTime)) -> SystemTime {
    match at.checked_duration_since(base.0) {
        Some(after) => base.1 + after,
        None => base.1 - base.0.duration_since(at),
    }
}

impl TaskJob {
    pub(super) fn run(self, worker_idx: usize) {
        let started = Instant::now();
        let base = (started, SystemTime::now());
        if let Some(observed) = &self.observed {
            observed.started(None, worker_idx);
        }
        let mut phases = Phases::default();
        let mut memo_hit = false;
        let mut spent = Spent::default();
        let (outcome, attempts) = match self.inputs() {
            Err(e) => (Err(e), 0),
            Ok(_) if self.completers[0].is_cancelled() => (Err(TaskError::Cancelled), 0),
            Ok(values) => match self.memoised(&values) {
                Some(Ok(output)) => {
                    memo_hit = true;
                    (Ok(output), 0)
                }
                Some(Err(key)) => {
                    let (outcome, attempts) = self.attempt(&values, &mut phases, &mut spent);
                    if let (Some((memo, entries)), Ok(output)) = (&self.memo, &outcome) {
                        memo.store(entries, &key, output);
                    }
                    (outcome, attempts)
                }
                None => self.attempt(&values, &mut phases, &mut spent),
            },
        };
        let finished = Instant::now();
        // Record before resolving, so a caller that has every value also has every span.
        if let Some(timeline) = &self.timeline {
            timeline.record(TaskSpan {
                object: self.id,
                label: self.component.function(self.func).name().to_owned(),
                host: None,
                worker_idx,
                submitted: self.submitted,
                started,
                instantiated: phases.instantiated,
                returned: phases.returned,
                resolved: finished,
                ok: outcome.is_ok(),
            });
        }
        let info = RunInfo {
            host: None,
            worker_idx,
            started: base.1,
            instantiated: phases.instantiated.map(|t| wall(t, base)),
            returned: phases.returned.map(|t| wall(t, base)),
            finished: wall(finished, base),
            memo_hit,
        };
        for completer in &self.completers {
            completer.set_attempts(attempts);
            completer.set_run_info(info.clone());
        }
        let error = self.observed.as_ref().and(outcome.as_ref().err().cloned());
        resolve(self.completers, outcome);
        if let Some(observed) = &self.observed {
            observed.finished(error.as_ref(), Some(&info));
        }
        // The store goes only now that the result is out: resetting a large memory
        // costs milliseconds that no caller should wait for. This worker takes no
        // other task until it is gone.
        drop(spent);
    }

    /// The task to hand to an executor, now that its inputs are ready; or, when an
    /// input failed or the task was cancelled, resolves it here and gives nothing.
    pub(super) fn into_remote(self) -> Option<RemoteTask> {
        let values = match self.inputs() {
            Ok(_) if self.completers[0].is_cancelled() => Err(TaskError::Cancelled),
            other => other,
        };
        match values {
            Err(e) => {
                let error = self.observed.as_ref().map(|_| e.clone());
                resolve(self.completers, Err(e));
                if let Some(observed) = &self.observed {
                    observed.finished(error.as_ref(), None);
                }
                None
            }
            Ok(args) => Some(RemoteTask::new(
                self.id,
                self.tenant,
                self.component,
                self.func,
                args,
                self.invoke.limits,
                self.invoke.capabilities,
                self.max_retries,
                self.priority,
                self.nested,
                self.max_concurrency,
                self.completers,
                self.timeline.map(|t| (t, self.submitted)),
                self.observed,
            )),
        }
    }

    /// For a memoised task, its stored output (`Ok`), or the key to store its output
    /// under once it ran (`Err`); `None` for a task that is not memoised.
    fn memoised(&self, args: &[Value]) -> Option<Result<TaskOutput, [u8; 32]>> {
        let (memo, entries) = self.memo.as_ref()?;
        let key = memo.key(
            &self.component,
            self.func,
            args,
            &self.invoke.limits,
            &self.invoke.capabilities,
        )?;
        Some(memo.lookup(entries, &key).ok_or(key))
    }

    /// Runs the call, again after a trap or host panic while retries are left and the
    /// task is not cancelled. Gives the outcome and how many times it ran.
    fn attempt(
        &self,
        args: &[Value],
        phases: &mut Phases,
        spent: &mut Spent,
    ) -> (Result<TaskOutput, TaskError>, u32) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                self.component
                    .invoke(self.func, args, &self.invoke, phases, spent)
            }))
            .unwrap_or_else(|panic| Err(TaskError::HostPanic(panic_text(&panic))));
            let retry = matches!(
                outcome,
                Err(TaskError::Trap { .. } | TaskError::HostPanic(_))
            ) && attempts <= self.max_retries
                && !self.completers[0].is_cancelled();
            if !retry {
                return (outcome, attempts);
            }
        }
    }

    /// The argument values, or the error of the first input that failed.
    fn inputs(&self) -> Result<Vec<Value>, TaskError> {
        let signature = self.component.function(self.func).signature();
        self.args
            .iter()
            .enumerate()
            .map(|(position, arg)| {
                let input = match arg {
                    Arg::Value(value) => return Ok(value.clone()),
                    Arg::Ref(input) => input,
                };
                let Some(outcome) = input.peek() else {
                    return Err(TaskError::Instantiate(format!(
                        "input {} was not ready when the task started",
                        input.id()
                    )));
                };
                match outcome {
                    Ok(output) => {
                        // A put's value was checked at submit only if it was ready then.
                        signature
                            .check_arg(position, &output.value)
                            .map_err(|e| TaskError::Instantiate(e.to_string()))?;
                        Ok(output.value.clone())
                    }
                    Err(upstream @ TaskError::Upstream { .. }) => Err(upstream),
                    Err(error) => Err(TaskError::Upstream {
                        object: input.id(),
                        function: input.producer().unwrap_or("put").to_owned(),
                        error: Box::new(error),
                    }),
                }
            })
            .collect()
    }
}

/// Resolves one ref with the outcome, or, for a split tuple, each ref with its
/// element (the captured output goes with the first).
pub(super) fn resolve(mut completers: Vec<Completer>, outcome: Result<TaskOutput, TaskError>) {
    if completers.len() == 1 {
        completers.remove(0).resolve(outcome);
        return;
    }
    let outcome = outcome.and_then(|output| match output.value {
        Value::Tuple(items) if items.len() == completers.len() => {
            Ok((items, output.stdout, output.stderr))
        }
        other => Err(TaskError::Trap {
            message: format!(
                "the task returned {} where a tuple of {} was declared",
                other.describe(),
                completers.len()
            ),
            panic: None,
            stderr: String::new(),
        }),
    });
    match outcome {
        Ok((items, stdout, stderr)) => {
            let mut output = Some((stdout, stderr));
            for (completer, value) in completers.into_iter().zip(items) {
                let (stdout, stderr) = output.take().unwrap_or_default();
                completer.resolve(Ok(TaskOutput {
                    value,
                    stdout,
                    stderr,
                }));
            }
        }
        Err(e) => {
            for completer in completers {
                completer.resolve(Err(e.clone()));
            }
        }
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
