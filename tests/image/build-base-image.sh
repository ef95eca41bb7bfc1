#!/usr/bin/env bash
# Build a local stand-in for the official `python:PYVER-slim-bookworm` image.
#
#   tests/image/build-base-image.sh PYVER        # e.g. 3.12
#
# Result: image `localhost/prodml-python:PYVER-slim` in buildah's vfs storage.
# Why: public registries are not reachable where the template's image test runs,
# so the generated Dockerfile gets this image through `--build-arg BASE_IMAGE=...`.
#
# Recipe: a debootstrap'ed minimal Debian bookworm rootfs (variant minbase plus
# ca-certificates and the shared libraries CPython links against) with a local
# pyenv CPython build (PYENV_ROOT/versions/PYVER.*) copied into /usr/local,
# `ldconfig` run, and pip bootstrapped from the interpreter's bundled wheel
# (offline). The environment mirrors the official image (PATH, LANG,
# PYTHON_VERSION, CMD ["python3"]).
#
# Idempotent and cached:
#   * exits immediately if the image already exists (use --force to rebuild);
#   * the debootstrap rootfs tarball is cached in
#     ${PRODML_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prodml}.
#
# Needs root (debootstrap, buildah with chroot isolation), buildah, debootstrap, strip,
# and network access to a Debian mirror (cold run only).
#
# Environment knobs:
#   PRODML_DEBIAN_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   PRODML_CACHE_DIR      cache directory (see above)
#   PYENV_ROOT            where CPython builds live (default ~/.pyenv)
#   PRODML_BASE_IMAGE_REPO image repository (default localhost/prodml-python)
set -euo pipefail

usage() {
    echo "usage: $0 [--force] PYVER   (e.g. $0 3.12)" >&2
    exit 2
}

force=0
pyver=""
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help) usage ;;
        -*) usage ;;
        *) [[ -z "$pyver" ]] || usage; pyver="$arg" ;;
    esac
done
[[ "$pyver" =~ ^3\.[0-9]+$ ]] || usage

log() { printf '[build-base-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

repo="${PRODML_BASE_IMAGE_REPO:-localhost/prodml-python}"
image="${repo}:${pyver}-slim"
suite=bookworm
mirror="${PRODML_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache_dir="${PRODML_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prodml}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
buildah=(buildah --storage-driver vfs)

command -v buildah >/dev/null || die "buildah not found (apt-get install buildah)"

# --- warm path: nothing to do -------------------------------------------------
if "${buildah[@]}" inspect --type image "$image" >/dev/null 2>&1; then
    if [[ $force -eq 0 ]]; then
        log "image $image already exists (use --force to rebuild)"
        echo "$image"
        exit 0
    fi
    log "--force: removing existing $image"
    "${buildah[@]}" rmi "$image" >/dev/null
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, buildah --isolation chroot)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"

# --- locate the CPython build -------------------------------------------------
# highest patch release of PYVER that has an interpreter
pysrc=$(for d in "$pyenv_root/versions/$pyver".*; do
    [[ -x "$d/bin/python$pyver" ]] && echo "$d"
done | sort -V | tail -n1)
[[ -n "$pysrc" ]] || die "no CPython $pyver build under $pyenv_root/versions (expected $pyver.*)"
pyfull="${pysrc##*/}"
log "using CPython $pyfull from $pysrc"

# --- cached debootstrap rootfs ------------------------------------------------
# Runtime libraries of the official slim image (CPython's extension modules link
# against these), plus certificates, netbase (/etc/services, /etc/protocols) and tzdata.
packages=(
    ca-certificates netbase tzdata
    libbz2-1.0 libexpat1 libffi8 libgdbm6 liblzma5 libncursesw6 libreadline8
    libsqlite3-0 libssl3 libtirpc3 libuuid1 zlib1g
)
pkg_key=$(printf '%s\n' "$suite" "$mirror" "${packages[@]}" | sha256sum | cut -c1-12)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
rootfs_tar="$cache_dir/debian-${suite}-minbase-${arch}-${pkg_key}.tar"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/prodml-base.XXXXXX")
ctr=""
cleanup() {
    if [[ -n "$ctr" ]]; then "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

if [[ -s "$rootfs_tar" ]]; then
    log "cached rootfs: $rootfs_tar"
else
    mkdir -p "$cache_dir"
    rootfs="$workdir/rootfs"
    log "debootstrap $suite (minbase) from $mirror ... (cold, takes a few minutes)"
    include=$(IFS=,; echo "${packages[*]}")
    if ! debootstrap --variant=minbase --include="$include" --arch="$arch" \
        "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
        tail -n 30 "$workdir/debootstrap.log" >&2
        die "debootstrap failed (full log above)"
    fi
    # slim down like the official images: no apt lists, caches, docs, man pages
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* \
        "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/tmp/* "$rootfs"/debootstrap
    mkdir -p "$rootfs/var/lib/apt/lists/partial"
    printf 'deb %s %s main\ndeb %s %s-updates main\n' "$mirror" "$suite" "$mirror" "$suite" \
        >"$rootfs/etc/apt/sources.list"
    # the container runtime provides /dev, /proc, /sys
    tar --numeric-owner --xattrs -C "$rootfs" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        -cf "$rootfs_tar.partial" .
    mv "$rootfs_tar.partial" "$rootfs_tar"
    rm -rf "$rootfs"
    log "cached rootfs: $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1))"
fi

# --- CPython tree for /usr/local ------------------------------------------------
# Everything but third-party site-packages, test suites, byte-code and static libs
# (the official image deletes the same), its binaries stripped of symbols (the official
# image links with --strip-all). pip is re-bootstrapped below.
pyroot="$workdir/python"
mkdir -p "$pyroot"
tar -C "$pysrc" \
    --exclude="./lib/python$pyver/site-packages/*" \
    --exclude="./lib/python$pyver/test" \
    --exclude="./lib/python$pyver/idlelib/idle_test" \
    --exclude="./lib/python$pyver/lib2to3/tests" \
    --exclude="./lib/python$pyver/tkinter/test" \
    --exclude='__pycache__' --exclude='*.pyc' --exclude='*.pyo' \
    --exclude='./lib/libpython*.a' --exclude='./lib/python*/config-*/*.a' \
    --exclude='./bin/pip*' \
    -cf - . | tar -C "$pyroot" -xf -
find "$pyroot" -type f \( -name '*.so' -o -name '*.so.*' -o -path '*/bin/python3*' \) \
    -exec sh -c 'strip --strip-unneeded "$1" 2>/dev/null || true' sh {} \;  # scripts are left as they are
pytar="$workdir/python.tar"
tar -C "$pyroot" --owner=0 --group=0 --numeric-owner \
    --transform='s,^\./,./usr/local/,' -cf "$pytar" .

# --- assemble the image -------------------------------------------------------
log "assembling $image"
ctr=$("${buildah[@]}" from --pull=false scratch)
"${buildah[@]}" add "$ctr" "$rootfs_tar" / >/dev/null
"${buildah[@]}" add "$ctr" "$pytar" / >/dev/null
run=("${buildah[@]}" run --isolation chroot --network host "$ctr" --)
# shellcheck disable=SC2016
"${run[@]}" /bin/sh -euc '
    pyver="$1"; pysrc="$2"
    ldconfig
    # scripts shipped by the build carry the pyenv path in their shebang
    for f in /usr/local/bin/*; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        if head -c 2 "$f" | grep -q "#!"; then
            sed -i "1s,^#!.*python.*,#!/usr/local/bin/python$pyver," "$f"
        fi
    done
    rm -f /usr/local/bin/idle* /usr/local/bin/2to3*
    # the build records its original prefix; point it at /usr/local
    grep -rl --include="*.py" --include="*.pc" --include="*-config" "$pysrc" \
        /usr/local/lib /usr/local/bin 2>/dev/null | xargs -r sed -i "s,$pysrc,/usr/local,g"
    cd /usr/local/bin
    ln -sf "python$pyver" python3
    ln -sf python3 python
    ln -sf "python$pyver-config" python3-config 2>/dev/null || true
    python3 -m ensurepip --default-pip >/dev/null
    rm -f /usr/local/bin/pip3.*[0-9]
    [ -e pip ] || ln -s pip3 pip
    find /usr/local -depth -name __pycache__ -type d -exec rm -rf {} +
    python --version
    pip --version
    python3 -c "import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, json, decimal, readline; print(ssl.OPENSSL_VERSION)"
' sh "$pyver" "$pysrc"
"${buildah[@]}" config \
    --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --env PYTHON_VERSION="$pyfull" \
    --cmd '["python3"]' \
    --label org.opencontainers.image.description="local stand-in for python:${pyver}-slim-${suite} (prodml image tests)" \
    --label org.opencontainers.image.version="$pyfull" \
    "$ctr"
"${buildah[@]}" commit --quiet --rm "$ctr" "$image" >/dev/null
ctr=""
log "built $image"
echo "$image"
