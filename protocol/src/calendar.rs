//! UTC calendar arithmetic for timestamps (no date-time dependency; also works in wasm).

/// A UTC date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDateTime {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
}

impl UtcDateTime {
    /// The date and time `epoch_seconds` after 1970-01-01T00:00:00Z.
    ///
    /// ```
    /// let t = lexstream_protocol::calendar::UtcDateTime::from_epoch_seconds(1_795_342_503);
    /// assert_eq!(t.to_rfc3339(), "2026-11-22T10:15:03Z");
    /// ```
    pub fn from_epoch_seconds(epoch_seconds: i64) -> Self {
        let (days, second_of_day) = (epoch_seconds.div_euclid(86_400), epoch_seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let second_of_day = u32::try_from(second_of_day).unwrap_or(0);
        Self {
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day % 3600 / 60,
            second: second_of_day % 60,
        }
    }

    /// Seconds since the epoch.
    pub fn to_epoch_seconds(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// SigV4's `YYYYMMDDTHHMMSSZ`.
    pub fn to_amz_date(self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Parses SigV4's `YYYYMMDDTHHMMSSZ`.
    pub fn parse_amz_date(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
        let parsed = Self {
            year: i64::from(number(0..4)?),
            month: number(4..6)?,
            day: number(6..8)?,
            hour: number(9..11)?,
            minute: number(11..13)?,
            second: number(13..15)?,
        };
        let valid = (1..=12).contains(&parsed.month)
            && (1..=31).contains(&parsed.day)
            && parsed.hour < 24
            && parsed.minute < 60
            && parsed.second < 60;
        valid.then_some(parsed)
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * month_index + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if month_index < 10 { month_index + 3 } else { month_index - 9 }).unwrap_or(1);
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// (year, month, day) to days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(UtcDateTime::from_epoch_seconds(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(UtcDateTime::from_epoch_seconds(951_782_400).to_rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(UtcDateTime::from_epoch_seconds(1_440_938_160).to_amz_date(), "20150830T123600Z");
    }

    #[test]
    fn every_day_for_four_centuries_round_trips() {
        for days in (-146_097..146_097 * 2).step_by(1) {
            let t = UtcDateTime::from_epoch_seconds(days * 86_400 + 3_723);
            assert_eq!(t.to_epoch_seconds(), days * 86_400 + 3_723);
        }
    }

    #[test]
    fn amz_dates_parse_and_bad_ones_do_not() {
        let t = UtcDateTime::parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t.to_epoch_seconds(), 1_440_938_160);
        for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z", "20150830T246000Z", ""] {
            assert_eq!(UtcDateTime::parse_amz_date(bad), None, "{bad}");
        }
    }
}
