#!/usr/bin/env bash
# Publishes a built site to a server over SSH, switching it in atomically:
#
#   publish-over-ssh.sh SITE_DIR USER@HOST:/PATH
#
# On the server, /PATH holds `releases/<time>` folders and `current`, a link to one of them: point the web
# server's root at /PATH/current. The site is copied with rsync into a new release folder (`.partial-<time>`
# while it is copied; files whose content did not change are hard links to the live release's, so a night
# copies only what changed: by checksum, and without keeping times, since the build writes every file anew
# and rsync links only files alike in every attribute it keeps), then the link is switched by one rename (`ln -sfn` to a temporary name, `mv -T` over
# `current`). A run killed at any point leaves the live site as it was; the next run removes what it left.
# The newest QWOTY_SSH_KEEP releases are kept (default 5), for a rollback by hand: `ln -sfn releases/<time>
# /PATH/.current.tmp && mv -T /PATH/.current.tmp /PATH/current`.
#
# The host key is pinned: nothing is trusted on first use, and an unknown or changed host key stops the run.
#   QWOTY_SSH_KEY or QWOTY_SSH_KEY_FILE          the private key (its text, or a file), for this run alone
#   QWOTY_SSH_KNOWN_HOSTS or ..._KNOWN_HOSTS_FILE the server's host key line(s) (`ssh-keyscan -t ed25519 HOST`,
#                                                 checked against the server's own `ssh-keygen -lf`)
#   QWOTY_SSH_PORT (22), QWOTY_SSH_KEEP (5), QWOTY_SSH_BWLIMIT (rsync's --bwlimit, KiB/s; none by default)
#
# The files arrive readable by their owner and group only (D750, F640): make /PATH belong to the web server's
# group with the setgid bit (`install -d -o deploy -g www-data -m 2750 /PATH`), and every release inherits it.
# The server needs rsync and GNU coreutils (`mv -T`). From cron on a server, the same command with
# QWOTY_SSH_KEY_FILE and QWOTY_SSH_KNOWN_HOSTS_FILE.
# Exit codes: 0 published, 2 wrong usage or settings, 1 the copy or the switch failed (the live site is unchanged).
set -euo pipefail
umask 077

fail() {
  echo "publish-over-ssh: $1" >&2
  exit "${2:-1}"
}

[ $# -eq 2 ] || fail "usage: $0 SITE_DIR USER@HOST:/PATH" 2
site=${1%/}
target=$2
host=${target%%:*}
path=${target#*:}
[ "$host" != "$target" ] && [ -n "$host" ] || fail "the target must be USER@HOST:/PATH, not $target" 2
# A plain absolute path: it is written into the commands run on the server.
[[ $path =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] && [[ $path != *..* ]] ||
  fail "the path on the server must be absolute, of letters, digits and ._-/ only: $path" 2
[ -f "$site/index.html" ] || fail "$site has no index.html: is it a built site?" 2
keep=${QWOTY_SSH_KEEP:-5}
[[ $keep =~ ^[1-9][0-9]*$ ]] || fail "QWOTY_SSH_KEEP must be a whole number of releases, at least 1" 2
port=${QWOTY_SSH_PORT:-22}
[[ $port =~ ^[0-9]+$ ]] || fail "QWOTY_SSH_PORT must be a port number" 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key_file=${QWOTY_SSH_KEY_FILE:-}
if [ -n "${QWOTY_SSH_KEY:-}" ]; then
  key_file=$work/key
  printf '%s\n' "$QWOTY_SSH_KEY" >"$key_file"
fi
[ -n "$key_file" ] && [ -r "$key_file" ] || fail "set QWOTY_SSH_KEY (the private key) or QWOTY_SSH_KEY_FILE" 2

known_hosts=${QWOTY_SSH_KNOWN_HOSTS_FILE:-}
if [ -n "${QWOTY_SSH_KNOWN_HOSTS:-}" ]; then
  known_hosts=$work/known_hosts
  printf '%s\n' "$QWOTY_SSH_KNOWN_HOSTS" >"$known_hosts"
fi
[ -n "$known_hosts" ] && [ -s "$known_hosts" ] ||
  fail "set QWOTY_SSH_KNOWN_HOSTS (the server's host key line) or QWOTY_SSH_KNOWN_HOSTS_FILE: a host key is never trusted on first use" 2

# No user or system configuration, no agent, no password prompt: only this key, only this host key.
ssh_command=(ssh -F /dev/null -p "$port" -i "$key_file" -o IdentitiesOnly=yes -o IdentityAgent=none
  -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known_hosts"
  -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=20 -o ServerAliveInterval=15)
remote() { "${ssh_command[@]}" "$host" "$@"; }

release=$(date -u +%Y%m%dT%H%M%SZ)-$$

# Before the copy: the release folder, leftovers of killed runs removed, the live release for --link-dest.
live=$(remote sh -s -- "$path" "$release" <<'REMOTE'
set -eu
path=$1 release=$2
mkdir -p "$path/releases"
cd "$path"
rm -rf releases/.partial-* .current.tmp-*
mkdir "releases/.partial-$release"
if [ -L current ]; then basename "$(readlink current)"; fi
REMOTE
) || fail "could not prepare $path on $host (host key, user key or permissions)"

link_dest=()
if [ -n "$live" ]; then link_dest=(--link-dest="../$live"); fi
bwlimit=()
if [ -n "${QWOTY_SSH_BWLIMIT:-}" ]; then bwlimit=(--bwlimit="$QWOTY_SSH_BWLIMIT"); fi

echo "publish-over-ssh: copying $site to $host:$path/releases/$release"
rsync -rlp --checksum --delete --chmod=D750,F640 "${link_dest[@]}" "${bwlimit[@]}" \
  -e "$(printf '%q ' "${ssh_command[@]}")" \
  "$site/" "$host:$path/releases/.partial-$release/" ||
  fail "the copy to $host failed; the live site is unchanged"

# The switch: the complete release gets its name, then the link is replaced by one rename. Then the oldest
# releases go, never the live one.
remote sh -s -- "$path" "$release" "$keep" <<'REMOTE' || fail "the switch on $host failed; the live site is unchanged"
set -eu
path=$1 release=$2 keep=$3
cd "$path"
chmod 750 "releases/.partial-$release"
mv "releases/.partial-$release" "releases/$release"
ln -sfn "releases/$release" ".current.tmp-$release"
mv -T ".current.tmp-$release" current
ls -1 releases | sort -r | tail -n "+$((keep + 1))" | while read -r old; do
  [ "$old" = "$release" ] || rm -rf "releases/$old"
done
REMOTE

echo "publish-over-ssh: $host:$path/current is now releases/$release"
