//! Tests for kiln live in `tests/` and `ui/`.
