//! DynamoDB numbers (`N`): exact decimals of up to 38 significant digits, as DynamoDB stores
//! them, compared and added without going through floating point.

use std::cmp::Ordering;

use super::error::DynamoDbError;

/// Most significant digits DynamoDB keeps in a number.
const MAX_DIGITS: usize = 38;
/// Largest and smallest decimal exponents of a number's magnitude (9.99…E+125, 1E-130).
const MAX_EXPONENT: i64 = 125;
const MIN_EXPONENT: i64 = -130;

/// An exact decimal: `mantissa × 10^exponent`, with no trailing zeros in `mantissa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number {
    mantissa: i128,
    exponent: i32,
}

fn invalid(text: &str) -> DynamoDbError {
    DynamoDbError::Validation(format!("The parameter cannot be converted to a numeric value: {text}"))
}

fn too_precise() -> DynamoDbError {
    DynamoDbError::Validation(
        "Number overflow. Attempting to store a number with more than 38 significant digits".to_owned(),
    )
}

impl Number {
    /// Reads a number as DynamoDB accepts it: `-12`, `3.25`, `1E+3`, `.5`.
    pub(crate) fn parse(text: &str) -> Result<Self, DynamoDbError> {
        let trimmed = text.trim();
        let (negative, unsigned) = match trimmed.as_bytes().first() {
            Some(b'-') => (true, &trimmed[1..]),
            Some(b'+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let (decimal, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => {
                let exponent: i64 = unsigned[at + 1..].parse().map_err(|_| invalid(text))?;
                (&unsigned[..at], exponent)
            }
            None => (unsigned, 0),
        };
        let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(invalid(text));
        }
        let digits = format!("{whole}{fraction}");
        let significant = digits.trim_start_matches('0');
        let kept = significant.trim_end_matches('0');
        if kept.is_empty() {
            return Ok(Self { mantissa: 0, exponent: 0 });
        }
        if kept.len() > MAX_DIGITS {
            return Err(too_precise());
        }
        let trailing_zeros = i64::try_from(significant.len() - kept.len()).map_err(|_| invalid(text))?;
        let fraction_len = i64::try_from(fraction.len()).map_err(|_| invalid(text))?;
        let digits = i64::try_from(kept.len()).map_err(|_| invalid(text))?;
        let overflow = || {
            DynamoDbError::Validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
                    .to_owned(),
            )
        };
        let exponent = exponent
            .checked_sub(fraction_len)
            .and_then(|e| e.checked_add(trailing_zeros))
            .ok_or_else(overflow)?;
        let magnitude = exponent.checked_add(digits - 1).ok_or_else(overflow)?;
        if magnitude > MAX_EXPONENT {
            return Err(overflow());
        }
        if magnitude < MIN_EXPONENT {
            return Err(DynamoDbError::Validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
                    .to_owned(),
            ));
        }
        let mantissa: i128 = kept.parse().map_err(|_| invalid(text))?;
        Ok(Self {
            mantissa: if negative { -mantissa } else { mantissa },
            exponent: i32::try_from(exponent).map_err(|_| invalid(text))?,
        })
    }

    /// `self + other`, exactly; an error when the sum needs more than 38 digits.
    pub(crate) fn add(self, other: Self) -> Result<Self, DynamoDbError> {
        if self.mantissa == 0 {
            return Ok(other);
        }
        if other.mantissa == 0 {
            return Ok(self);
        }
        let exponent = self.exponent.min(other.exponent);
        let scale = |n: Self| -> Result<i128, DynamoDbError> {
            let shift = u32::try_from(n.exponent - exponent).map_err(|_| too_precise())?;
            10_i128
                .checked_pow(shift)
                .and_then(|factor| n.mantissa.checked_mul(factor))
                .ok_or_else(too_precise)
        };
        let sum = scale(self)?.checked_add(scale(other)?).ok_or_else(too_precise)?;
        let result = Self::normalized(sum, exponent);
        if result.digits().len() > MAX_DIGITS {
            return Err(too_precise());
        }
        Ok(result)
    }

    /// `-self`.
    pub(crate) fn negated(self) -> Self {
        Self { mantissa: -self.mantissa, exponent: self.exponent }
    }

    fn normalized(mut mantissa: i128, mut exponent: i32) -> Self {
        if mantissa == 0 {
            return Self { mantissa: 0, exponent: 0 };
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        Self { mantissa, exponent }
    }

    /// The significant digits, without sign.
    fn digits(self) -> String {
        self.mantissa.unsigned_abs().to_string()
    }

    /// Exponent of the leading digit (`123` → 2, `0.05` → -2).
    fn magnitude(self) -> i64 {
        i64::from(self.exponent) + i64::try_from(self.digits().len()).unwrap_or(0) - 1
    }

    /// Compares by value (`1.0` equals `1`).
    pub(crate) fn compare(self, other: Self) -> Ordering {
        let sign = |n: Self| n.mantissa.signum();
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) == 0 => Ordering::Equal,
            Ordering::Equal => {
                let by_size = self
                    .magnitude()
                    .cmp(&other.magnitude())
                    .then_with(|| compare_digits(&self.digits(), &other.digits()));
                if sign(self) < 0 { by_size.reverse() } else { by_size }
            }
            by_sign => by_sign,
        }
    }
}

/// Compares two digit strings of the same magnitude, the shorter padded with zeros.
fn compare_digits(left: &str, right: &str) -> Ordering {
    let width = left.len().max(right.len());
    let pad = |digits: &str| format!("{digits:0<width$}");
    pad(left).cmp(&pad(right))
}

impl std::fmt::Display for Number {
    /// Plain decimal notation, as DynamoDB returns numbers: `1000`, `-0.05`, `3.25`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.digits();
        match usize::try_from(self.exponent) {
            Ok(zeros) => write!(f, "{sign}{digits}{}", "0".repeat(zeros)),
            Err(_) => {
                let fraction_len = self.exponent.unsigned_abs() as usize;
                if fraction_len >= digits.len() {
                    write!(f, "{sign}0.{}{digits}", "0".repeat(fraction_len - digits.len()))
                } else {
                    let (whole, fraction) = digits.split_at(digits.len() - fraction_len);
                    write!(f, "{sign}{whole}.{fraction}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn numbers_print_in_plain_canonical_form() {
        for (given, shown) in [
            ("0", "0"),
            ("-0.0", "0"),
            ("007", "7"),
            ("1.50", "1.5"),
            ("1E+3", "1000"),
            ("-2.5e-3", "-0.0025"),
            (".5", "0.5"),
            ("1900000000", "1900000000"),
        ] {
            assert_eq!(number(given).to_string(), shown, "{given}");
        }
    }

    #[test]
    fn malformed_or_out_of_range_numbers_are_refused_readably() {
        for text in ["", "abc", "1.2.3", "--1", "1e", "0x10"] {
            let error = Number::parse(text).unwrap_err().to_string();
            assert!(error.contains("numeric value"), "{text}: {error}");
        }
        assert!(Number::parse(&"9".repeat(39)).unwrap_err().to_string().contains("38 significant digits"));
        assert!(Number::parse("1E+126").unwrap_err().to_string().contains("overflow"));
        assert!(Number::parse("1E-131").unwrap_err().to_string().contains("underflow"));
        // Exponents at the edge of i64 are refused, never overflow the arithmetic.
        assert!(Number::parse("0.1E-9223372036854775808").is_err());
        assert!(Number::parse("10E9223372036854775807").is_err());
    }

    #[test]
    fn addition_is_exact_where_floating_point_is_not() {
        assert_eq!(number("0.1").add(number("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(number("5").add(number("-7")).unwrap().to_string(), "-2");
        assert_eq!(number("1E+20").add(number("1")).unwrap().to_string(), "100000000000000000001");
        assert_eq!(number("3").add(number("3").negated()).unwrap().to_string(), "0");
        let precise = format!("1{}", "0".repeat(37));
        assert!(number(&precise).add(number("0.1")).is_err(), "39 digits do not fit");
    }

    #[test]
    fn comparison_is_by_value() {
        assert_eq!(number("1.0").compare(number("1")), Ordering::Equal);
        assert_eq!(number("-3").compare(number("2")), Ordering::Less);
        assert_eq!(number("10").compare(number("9.99")), Ordering::Greater);
        assert_eq!(number("-10").compare(number("-9.99")), Ordering::Less);
        assert_eq!(number("0.05").compare(number("0.5")), Ordering::Less);
        assert_eq!(number("1E+100").compare(number("1E-100")), Ordering::Greater);
    }
}
