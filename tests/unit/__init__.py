"""Pure tests of the core in ``shared/``; a package, so its module names clash with no other."""
