//! Dates on the command line (`--start`, closure specs).
//!
//! The closure specs and windows that need a scenario to resolve ids and dates live in
//! [`crate::scenario`] (`parse_close_spec`, `apply_window`, `in_window`).

use chrono::NaiveDate;

use crate::Error;

/// Parse a `YYYY-MM-DD` date (e.g. a new start of the window).
pub fn parse_date(s: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| {
        Error::Invalid(format!(
            "{s:?} is not a date ({e}); expected YYYY-MM-DD, e.g. 2024-01-13"
        ))
    })
}
