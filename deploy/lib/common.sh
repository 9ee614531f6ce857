# Shared by the deploy scripts: find Swift, install missing Debian packages.
# shellcheck shell=bash

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "swift not found: install Swift 6 first (https://swift.org/install)" >&2; exit 1; }

# ensure_packages PKG... — apt-get install the ones not installed yet (as root, or through sudo).
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        # Not root: through sudo when there is one; otherwise say exactly what to run as root.
        if ! command -v sudo >/dev/null 2>&1; then
            echo "missing Debian packages: ${missing[*]}" >&2
            echo "this user is not root and there is no sudo; as root, run:" >&2
            echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
            echo "then run $0 again" >&2
            exit 1
        fi
        sudo="sudo"
    fi
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The C libraries reliefd builds against (pkg-config finds them).
BUILD_PACKAGES=(pkg-config libuv1-dev libpq-dev libsqlite3-dev libedit-dev)
