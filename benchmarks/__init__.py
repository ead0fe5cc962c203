"""Reproducible measurements of what the provider costs Zoho (calls, credits, token grants) and users (time).

`python -m benchmarks.run` runs every scenario against the sandbox and rewrites benchmarks/RESULTS.md;
`python -m benchmarks.run --quick` is the same code at toy sizes, for CI.
"""
