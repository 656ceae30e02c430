#!/bin/sh
# Debian's prometheus scrapes a real tracker and its storage nodes (status ports on) while files
# are stored, replicated and deleted; checks through Prometheus' HTTP API that every target is up
# with no scrape error and that the metrics moved, and prints a few scraped lines before and after.
# Needs: apt-get install prometheus. The same test runs in CI (skipped where prometheus is missing).
set -e
cd "$(dirname "$0")/../.."
[ -x /usr/bin/prometheus ] || { echo "prometheus is not installed (apt-get install prometheus)" >&2; exit 1; }
exec dotnet test tests/MogileFS.Integration.Tests -c Release \
  --filter "FullyQualifiedName~PrometheusScrapeTests" --logger "console;verbosity=detailed"
