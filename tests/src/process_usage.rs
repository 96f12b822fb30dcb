//! What this process uses, read from Linux's `/proc/self`: the CPU time of its threads by name
//! (how a benchmark tells a runtime's work from the rest of the process), its peak resident
//! memory, and room for open files.

use std::time::Duration;

/// Linux reports thread CPU time in clock ticks of `USER_HZ`, 100 a second on every architecture
/// it runs on (`getconf CLK_TCK`).
const TICKS_PER_SECOND: u64 = 100;

/// The CPU time (user + system) the live threads of this process whose name starts with
/// `name_prefix` have used so far (`/proc/self/task/*/stat`, 10 ms resolution per thread).
/// Threads that have exited are not counted: keep the threads measured alive.
pub fn thread_cpu_time(name_prefix: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Duration::ZERO };
    let ticks: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| cpu_ticks_of(&stat, name_prefix))
        .sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// `utime + stime` of one `stat` line when the thread's name (`comm`) starts with `name_prefix`.
fn cpu_ticks_of(stat: &str, name_prefix: &str) -> Option<u64> {
    let (_, after) = stat.split_once(" (")?;
    let (name, fields) = after.rsplit_once(") ")?;
    if !name.starts_with(name_prefix) {
        return None;
    }
    // After the name: state is field 3, utime field 14 and stime field 15 of the line.
    let mut fields = fields.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The most resident memory this process has used (`VmHWM`), in KiB, since it started or since
/// [`reset_peak_rss`].
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// Resets `VmHWM` to the memory resident now (writing `5` to `/proc/self/clear_refs`), so the next
/// [`peak_rss_kib`] is the peak of what follows; returns whether the kernel allowed it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Makes room for `needed` open files: raises this process's soft `RLIMIT_NOFILE` up to the hard
/// limit with util-linux's `prlimit` when it is lower (this workspace forbids `unsafe`, so no
/// `setrlimit` call). Returns the soft limit in force afterwards.
pub fn ensure_open_files(needed: u64) -> Option<u64> {
    let (soft, hard) = open_files_limits()?;
    if soft >= needed {
        return Some(soft);
    }
    let raised = needed.min(hard);
    let pid = std::process::id().to_string();
    let status = std::process::Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={raised}:{hard}")])
        .status();
    if !status.is_ok_and(|status| status.success()) {
        eprintln!(
            "could not raise the open-files limit from {soft} (prlimit failed); run `ulimit -n {needed}` first"
        );
    }
    open_files_limits().map(|(soft, _)| soft)
}

/// The soft and hard `Max open files` of this process (`/proc/self/limits`).
fn open_files_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find_map(|line| line.strip_prefix("Max open files"))?;
    let mut values = line.split_whitespace().map(|value| value.parse().unwrap_or(u64::MAX));
    Some((values.next()?, values.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_its_threads_cpu_ticks() {
        let stat = "4620 (devstack (rt)) R 4617 4617 3441 0 -1 4194304 154 0 0 0 7 5 0 0 20 0 1 0";
        assert_eq!(cpu_ticks_of(stat, "devstack"), Some(12));
        assert_eq!(cpu_ticks_of(stat, "visitor"), None);
    }
}
