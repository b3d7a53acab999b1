//! The daily simulation engine: capacities, routing, dispatch, queues at shut
//! crossings, spoilage, and the accounts of every tonne and dollar.
