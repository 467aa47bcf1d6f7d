#!/usr/bin/env bash
# The set-up on its own (scripts/setup.py, which runs on Linux, macOS and Windows).
exec python3 "$(dirname "$0")/setup.py" "$@"
