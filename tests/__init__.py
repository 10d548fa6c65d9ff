"""The test suite (a package, so test modules import as tests.<dir>.<module> and never shadow app/)."""
