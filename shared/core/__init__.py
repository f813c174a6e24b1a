"""The pure core: what a managed group is, and what to do about each value. No I/O, no clock,
no SDK types: everything here is tested with tables."""
