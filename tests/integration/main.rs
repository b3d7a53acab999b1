//! Integration tests, built as one binary. One module per area.

mod common;
mod loader;
mod solver;
mod sim;
mod montecarlo;
mod afghanistan;
