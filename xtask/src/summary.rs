//! Counting test results from cargo's and wasm-bindgen-test-runner's `test result:` lines.

/// Passed/failed/ignored counts of one or more test binaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) ignored: u64,
}

impl Counts {
    /// Adds up every `test result: ok. 3 passed; 0 failed; 1 ignored; …` line in `lines`.
    pub(crate) fn from_output(lines: &[String]) -> Self {
        let mut total = Self::default();
        for line in lines {
            let Some(rest) = line.trim().strip_prefix("test result: ") else { continue };
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(label), Some(number)) = (words.next(), words.next()) else { continue };
                let Ok(number) = number.parse::<u64>() else { continue };
                match label {
                    "passed" => total.passed += number,
                    "failed" => total.failed += number,
                    "ignored" => total.ignored += number,
                    _ => {}
                }
            }
        }
        total
    }

    pub(crate) fn add(self, other: Self) -> Self {
        Self {
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
            ignored: self.ignored + other.ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_up_every_result_line() {
        let lines: Vec<String> = [
            "running 3 tests",
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.1s",
            "test result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.2s",
            "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(Counts::from_output(&lines), Counts { passed: 8, failed: 2, ignored: 1 });
    }
}
