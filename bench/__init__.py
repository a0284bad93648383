"""Speed and memory benchmarks (`make bench`); figures are medians with ratios to a baseline."""
