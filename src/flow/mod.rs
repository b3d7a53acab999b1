//! Min-cost flow: a primal network simplex in exact integer arithmetic with warm start,
//! and DIMACS input and output.
