#!/usr/bin/env bash
# Run Cyrus's master in a private mount namespace whose /dev/log is the instance's own syslog
# socket (Cyrus logs only to syslog), so that several instances keep separate logs and the
# machine's /dev/log is left alone. Called by tests/operator/run as root:
#
#   cyrus-ns.sh LOG_SOCKET USER GROUP -- COMMAND...
set -euo pipefail
sock="$1" user="$2" group="$3"
shift 4
# Keep the real devices reachable, then lay a small /dev over the real one.
hostdev="$(dirname "$sock")/hostdev"
mkdir -p "$hostdev"
mount --bind /dev "$hostdev"
mount -t tmpfs -o mode=755 relais-cyrus-dev /dev
for d in null zero random urandom full tty; do
  touch "/dev/$d"
  mount --bind "$hostdev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
touch /dev/log
mount --bind "$sock" /dev/log
umount "$hostdev"
exec setpriv --reuid="$user" --regid="$group" --init-groups -- "$@"
