//! Integration tests: afghanistan.
