//! Integration tests, built as one binary. One module per area.

mod afghanistan;
mod closures_file;
mod common;
mod compare;
mod controls;
mod criticality;
mod decision;
mod elasticity;
mod fit;
mod levels;
mod loader;
mod montecarlo;
mod options;
mod outputs;
mod prices;
mod report;
mod report_answer;
mod sim;
mod sim_input;
mod solver;
mod uncertain;
mod uncertainty;
mod validate;
mod welfare;
