//! Integration tests: montecarlo.
