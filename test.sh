#!/usr/bin/env bash
# Installs what is missing, builds terndb (Release, into build/) and runs the whole test
# suite with ctest: unit tests and the integration tests with real clients.
#
#   ./test.sh                 the Release build only
#   ./test.sh --sanitizers    also build-asan (AddressSanitizer + UBSan) and build-tsan
#                             (ThreadSanitizer), each running the same suite
#   ./test.sh -R <regex>      any other arguments are passed to ctest
#
# Exits non-zero if any build or test fails. Ends with a total over all the builds (a
# failed build, or sanitizer reports, count as one failure each).
set -uo pipefail
cd "$(dirname "$0")"
source .ci/packages.sh

sanitizers=0
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ctest_args+=("$arg") ;;
  esac
done

ensure_packages "${TERNDB_BUILD_PACKAGES[@]}" "${TERNDB_TEST_PACKAGES[@]}" || exit 1
stop_redis_service

total_passed=0
total_failed=0
failed_builds=()

# run_suite DIR SANITIZER BUILD_TYPE: configures and builds DIR, then runs ctest there.
run_suite() {
  local dir=$1 sanitize=$2 build_type=$3
  echo
  echo "=== ${dir}: ${build_type}${sanitize:+, sanitizer ${sanitize}} ==="
  local start=$SECONDS
  if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
         -DTERNDB_SANITIZE="$sanitize" >/dev/null ||
     ! ninja -C "$dir" -j2; then
    echo "${dir}: build failed"
    failed_builds+=("$dir (build)")
    total_failed=$((total_failed + 1))
    return
  fi
  echo "${dir}: built in $((SECONDS - start))s"

  # Sanitizer reports of any process of the suite (servers included, whose exit status
  # no test reads) land in files here; any file there fails the build's run.
  local reports="$PWD/$dir/sanitizer-reports"
  # RocksDB (not instrumented) synchronises through atomics TSan cannot see: see the file.
  local tsan_supp="$PWD/tests/tsan.supp"
  rm -rf "$reports" && mkdir -p "$reports"
  local log
  log=$(mktemp)
  start=$SECONDS
  (
    cd "$dir" &&
    ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0" \
    UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1" \
    TSAN_OPTIONS="log_path=$reports/tsan:second_deadlock_stack=1:halt_on_error=0:die_after_fork=0:suppressions=$tsan_supp" \
    ctest --output-on-failure -j2 "${ctest_args[@]}"
  ) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  echo "${dir}: tests ran in $((SECONDS - start))s"

  # "97% tests passed, 1 tests failed out of 30"
  local summary passed=0 failed=0
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -n "$summary" ]; then
    local out_of
    failed=$(sed -E 's/.*, ([0-9]+) tests? failed out of.*/\1/' <<<"$summary")
    out_of=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
    passed=$((out_of - failed))
  elif [ "$rc" -ne 0 ]; then
    failed=1
  fi
  rm -f "$log"

  if compgen -G "$reports/*" >/dev/null; then
    echo "${dir}: sanitizer reports:"
    for f in "$reports"/*; do
      echo "--- $f"
      head -c 20000 "$f"
    done
    # Counted as one more failure: a report may come from a process no test checks.
    failed_builds+=("$dir (sanitizer reports)")
    failed=$((failed + 1))
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
  fi
  [ "$rc" -ne 0 ] && failed_builds+=("$dir (tests)")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

run_suite build "" Release
if [ $sanitizers -eq 1 ]; then
  run_suite build-asan address RelWithDebInfo
  run_suite build-tsan thread RelWithDebInfo
fi

echo
if [ ${#failed_builds[@]} -gt 0 ]; then
  echo "Failures in: ${failed_builds[*]}"
fi
echo "total: ${total_passed} passed, ${total_failed} failed"
[ "$total_failed" -eq 0 ]
