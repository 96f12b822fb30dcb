//! What an invocation cost, as the `REPORT` line Lambda writes to CloudWatch gives it: the
//! invocation's duration, the environment's init duration on its first invocation, and the
//! memory its processes have used at most.

use std::fmt;
use std::time::Duration;

/// The memory size every hosted function is given (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), in MB.
pub(super) const MEMORY_SIZE_MB: u32 = 256;

/// One invocation's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationReport {
    /// The request id the runtime saw (`Lambda-Runtime-Aws-Request-Id`); empty when no
    /// environment could be started.
    pub request_id: String,
    /// From handing the event to the runtime to its answer or error (Lambda's `Duration`);
    /// `None` when the runtime never took the event.
    pub duration: Option<Duration>,
    /// From starting the process to its first `GET invocation/next` (Lambda's `Init Duration`):
    /// only on an environment's first invocation.
    pub init_duration: Option<Duration>,
    /// The most resident memory the environment's processes have used, in KiB, read from
    /// `/proc` after the invocation (Lambda's `Max Memory Used`); `None` where it cannot be read
    /// (the process is gone, or not Linux).
    pub max_memory_kib: Option<u64>,
}

impl fmt::Display for InvocationReport {
    /// Lambda's `REPORT` line, with the fields the devstack knows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "REPORT RequestId: {}", self.request_id)?;
        if let Some(duration) = self.duration {
            write!(f, "\tDuration: {:.2} ms", millis(duration))?;
        }
        write!(f, "\tMemory Size: {MEMORY_SIZE_MB} MB")?;
        if let Some(kib) = self.max_memory_kib {
            write!(f, "\tMax Memory Used: {} MB", kib.div_ceil(1024))?;
        }
        if let Some(init) = self.init_duration {
            write!(f, "\tInit Duration: {:.2} ms", millis(init))?;
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The peak resident memory (`VmHWM`) of process `pid` plus that of each of its descendants, in
/// KiB: Lambda counts every process of an environment (a runtime started through a shell, a
/// runtime that starts helpers). `None` when `/proc` has no such process.
pub(super) fn peak_memory_kib(pid: u32) -> Option<u64> {
    let own = status_kib(pid, "VmHWM:")?;
    Some(own + children(pid).into_iter().filter_map(peak_memory_kib).sum::<u64>())
}

/// A `kB` field of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|line| line.strip_prefix(field))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// The children of every thread of `pid` (`/proc/PID/task/TID/children`).
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let lists = tasks.flatten().filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok());
    lists
        .flat_map(|list| list.split_whitespace().filter_map(|pid| pid.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_line_reads_like_lambdas() {
        let report = InvocationReport {
            request_id: "8f5a0c1e-1111-2222-3333-444455556666".into(),
            duration: Some(Duration::from_micros(12_345)),
            init_duration: Some(Duration::from_micros(6_700)),
            max_memory_kib: Some(6_700),
        };
        assert_eq!(
            report.to_string(),
            "REPORT RequestId: 8f5a0c1e-1111-2222-3333-444455556666\tDuration: 12.35 ms\tMemory Size: 256 MB\tMax Memory Used: 7 MB\tInit Duration: 6.70 ms"
        );
        let warm = InvocationReport { init_duration: None, ..report };
        assert!(!warm.to_string().contains("Init Duration"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_peak_memory_and_a_gone_one_has_none() {
        let kib = peak_memory_kib(std::process::id()).unwrap_or(0);
        assert!(kib > 100, "{kib} KiB");
        assert_eq!(peak_memory_kib(u32::MAX), None);
    }
}
