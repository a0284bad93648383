"""Developer tools shared by evaluation, benchmarks and integration tests (not shipped in services)."""
