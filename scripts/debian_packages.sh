# Sourced by the test steps that need Debian packages (cross_check.sh, wine_check.sh).
# need_packages STEP WHAT PACKAGE...: installs the packages with apt-get when running as root;
# otherwise exits the step: with an error under CI=true (the step is mandatory there), else
# saying it was skipped and why.
need_packages() {
  local step=$1 what=$2
  shift 2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== $step: installing $what (Debian packages: $*)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "error: the $step step needs $what ($*), and apt-get as root is not available" >&2
    exit 1
  else
    echo "== $step: SKIPPED: needs $what (Debian: apt-get install $*)"
    exit 0
  fi
}
