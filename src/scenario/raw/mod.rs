//! Stage one of loading: raw, unresolved records read from the value tree
//! ([`super::tree`]), with every key checked against the format and every value
//! against its type and range. References (node ids, corridor ids...) are still strings
//! here; stage two ([`super::load`]) resolves them.
//!
//! Every problem is recorded in [`Diags`] with its file and line; reading goes on, so one
//! pass reports every mistake. A required value that is missing or wrong is `None`.
//!
//! One concern a file: [`keys`] (which keys each table may hold), [`diags`] (the problem
//! collector and locations), [`reader`] (typed fields of one table), [`records`] (the raw
//! record types), and the readers of each group of tables: [`network`], [`risk`] and
//! [`changes`] (an option file).

mod changes;
mod diags;
mod keys;
mod network;
mod reader;
mod records;
mod risk;

pub(crate) use changes::*;
pub(crate) use diags::*;
pub use keys::ACCEPTED_KEYS;
pub(crate) use keys::*;
pub(crate) use network::*;
pub(crate) use reader::*;
pub(crate) use records::*;
pub(crate) use risk::*;
