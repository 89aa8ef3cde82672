set -eu
apt_install() {
    _missing=""
    for _p in "$@"; do
        dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q "install ok installed" || _missing="$_missing $_p"
    done
    [ -n "$_missing" ] || return 0
    if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -n "$(ls -A "${DPKG_ADMINDIR:-/var/lib/dpkg}/updates" 2>/dev/null)" ] || [ -n "$(dpkg --audit 2>/dev/null)" ]; then
        echo "v6k8s: an interrupted dpkg run is left on this host: dpkg --configure -a" >&2
        _tries=0
        until _out=$(dpkg --force-confdef --force-confold --configure -a 2>&1); do
            _tries=$((_tries + 1))
            case "$_out" in
            *lock*) [ "$_tries" -lt 120 ] || { echo "$_out" >&2; return 1; }; sleep 5 ;;
            *) echo "$_out" >&2; return 1 ;;
            esac
        done
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -q
    # shellcheck disable=SC2086 # one word per package
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $_missing
}
apt_install tayga unbound
systemctl disable --now unbound.service 2>/dev/null || true
rm -f /etc/v6k8s/dns64-resolver.conf
systemctl daemon-reload
systemctl enable v6k8s-nat64.service v6k8s-dns64.service
systemctl restart v6k8s-nat64.service
systemctl restart v6k8s-dns64.service
for _ in $(seq 30); do
    systemctl is-active --quiet v6k8s-nat64.service && systemctl is-active --quiet v6k8s-dns64.service && exit 0
    sleep 1
done
for u in v6k8s-nat64.service v6k8s-dns64.service; do
    echo "$u is $(systemctl is-active $u 2>/dev/null || true); its last journal lines:" >&2
    journalctl -u $u -n 50 --no-pager >&2 || true
done
exit 1
