#!/usr/bin/env bash
# Makes the Debian 12 base image every Kai image builds FROM, without any image registry: debootstrap
# a minimal bookworm from the Debian mirror this machine's apt already uses, slim it the way Debian's
# own "-slim" images are slimmed, and `docker import` it.
#
# Usage: deploy/docker/make-base-image.sh [IMAGE]     (default kai-local/debian:bookworm)
# Environment: KAI_DEBIAN_MIRROR overrides the mirror read from /etc/apt; KAI_REBUILD_BASE=1 rebuilds
# an image that already exists. Needs root (debootstrap), debootstrap and a running Docker engine.
set -euo pipefail

image="${1:-kai-local/debian:bookworm}"
docker_cli="${DOCKER:-docker}"

if [[ "${KAI_REBUILD_BASE:-0}" != 1 ]] && "$docker_cli" image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already exists"
  exit 0
fi

# Prints the first URI that apt uses for `suite`, from deb822 .sources files or one-line .list files.
apt_uri_for_suite() {
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    # deb822 stanzas are separated by blank lines; print the URI of a stanza listing the suite.
    awk -v want="$suite" '
      function flush() { if (types ~ /(^| )deb( |$)/ && uris != "" && (" " suites " ") ~ (" " want " ")) { split(uris, u, " "); print u[1]; found = 1; exit } types = uris = suites = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "uris:" { $1 = ""; uris = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      END { if (!found) flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    # deb [options] URI suite components...
    sed -E 's/\[[^]]*\]//' "$f" | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2 }'
  done
}

mirror="${KAI_DEBIAN_MIRROR:-$(apt_uri_for_suite bookworm | head -n1)}"
security="$(apt_uri_for_suite bookworm-security | head -n1)"
if [[ -z "$mirror" ]]; then
  echo "make-base-image: no Debian bookworm mirror found in /etc/apt; set KAI_DEBIAN_MIRROR" >&2
  exit 1
fi
echo "debootstrap bookworm from $mirror"

work="$(mktemp -d /var/tmp/kai-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

debootstrap --variant=minbase --components=main bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }

# apt inside the images uses the same mirrors as this machine.
rm -f "$rootfs/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
  printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  if [[ -n "$security" ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"

# What Debian's slim images leave out, for every later package too.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90-kai-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/90-kai-container" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,locale}/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
  "$rootfs"/var/cache/ldconfig/aux-cache
: >"$rootfs/etc/machine-id"

tar --numeric-owner -C "$rootfs" -c . |
  "$docker_cli" import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >/dev/null
echo "imported $image ($("$docker_cli" image inspect -f '{{.Size}}' "$image") bytes)"
