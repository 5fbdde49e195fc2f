# tools/lib/setup.sh: shared set-up for tools/run and tools/test (sourced, not run).
# Installs missing Debian packages (quietly; apt-get update only when needed), then configures
# and builds a meson build directory.

SC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Logs of set-up, build and test suites: per checkout, so two checkouts testing at once do not
# overwrite each other's logs.
SC_LOG_DIR="$SC_ROOT/build-logs"
mkdir -p "$SC_LOG_DIR"

# Packages the build needs.
SC_BUILD_PKGS="g++ meson ninja-build pkg-config libasio-dev libxxhash-dev libcli11-dev libspdlog-dev libfmt-dev doctest-dev libjemalloc-dev libhttp-parser-dev rapidjson-dev"
SC_BUILD_PKGS="$SC_BUILD_PKGS nlohmann-json3-dev"  # libshardcache's JSON layer, its tests and examples/lms
SC_BUILD_PKGS="$SC_BUILD_PKGS libhiredis-dev"  # tools/bench (-Dbench=true): parse_bench and client_bench compare with hiredis
SC_BUILD_PKGS="$SC_BUILD_PKGS liblzf-dev"  # daemon/persist: LZF strings in RDB files
SC_BUILD_PKGS="$SC_BUILD_PKGS scdoc"  # packaging/: the shardcached(8) man page
# Packages the tests need (real clients, reference server, fuzzing toolchain).
SC_TEST_PKGS="redis-tools redis-server python3-redis clang-14 libfuzzer-14-dev libclang-rt-14-dev curl wrk python3-prometheus-client"
# suite_install / suite_package: systemd-analyze verify and security on the unit, logrotate --debug on
# the snippet, dpkg-shlibdeps for
# tools/package, lintian on the .deb.
SC_TEST_PKGS="$SC_TEST_PKGS systemd dpkg-dev lintian logrotate"
# suite_dashboard: the dashboard in a real browser (Debian's chromium, driven by puppeteer-core).
SC_TEST_PKGS="$SC_TEST_PKGS chromium"
# Packages the benchmarks need (tools/bench/hit_ratio.py draws its plot with gnuplot).
SC_BENCH_PKGS="gnuplot-nox"

sc_missing_pkgs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]}"
}

sc_install_pkgs() {
  local missing
  missing=$(sc_missing_pkgs "$@")
  [ -z "$missing" ] && return 0
  echo "installing: $missing"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has empty package lists: update once, then install.
  if ! $sudo apt-get install -y -qq --no-install-recommends $missing >"$SC_LOG_DIR/apt.log" 2>&1; then
    $sudo apt-get update -qq >>"$SC_LOG_DIR/apt.log" 2>&1 || true
    $sudo apt-get install -y -qq --no-install-recommends $missing >>"$SC_LOG_DIR/apt.log" 2>&1 || {
      tail -20 "$SC_LOG_DIR/apt.log"; echo "apt-get install failed"; return 1; }
  fi
}

# sc_npm_ci DIR: `npm ci` in DIR (a folder with package.json and package-lock.json) when its
# node_modules is missing or older than the lockfile.
sc_npm_ci() {
  local d=$1
  if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    (cd "$d" && PUPPETEER_SKIP_DOWNLOAD=1 timeout 300 npm ci --prefer-offline --no-audit --no-fund >"$SC_LOG_DIR/npm-$(basename "$d").log" 2>&1) || {
      tail -20 "$SC_LOG_DIR/npm-$(basename "$d").log"; echo "npm ci in $d failed"; return 1; }
  fi
}

# sc_build DIR [meson options...]: configure (once) and build.
sc_build() {
  local dir=$1; shift
  # uPlot for the dashboard page (daemon/meson.build embeds it), with the npm that comes with the
  # machine's Node.js 20 (Debian's nodejs and npm packages must not be asked for: they break it).
  sc_npm_ci "$SC_ROOT/daemon/http/ui" || return 1
  if [ ! -f "$SC_ROOT/$dir/build.ninja" ]; then
    meson setup "$SC_ROOT/$dir" "$SC_ROOT" "$@" >"$SC_LOG_DIR/meson-$dir.log" 2>&1 || {
      tail -30 "$SC_LOG_DIR/meson-$dir.log"; return 1; }
  fi
  # SC_TARGETS: build only these targets (e.g. the fuzzers) instead of everything.
  ninja -C "$SC_ROOT/$dir" ${SC_TARGETS:-} >"$SC_LOG_DIR/ninja-$dir.log" 2>&1 || { grep -E "error|FAILED" -A3 "$SC_LOG_DIR/ninja-$dir.log" | head -60; return 1; }
}
