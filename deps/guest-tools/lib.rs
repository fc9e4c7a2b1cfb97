//! Placeholder so cargo can resolve the pinned adapter crate.
