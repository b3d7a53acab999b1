//! Outputs: CSV tables in long format, manifests, atomic file writes.
