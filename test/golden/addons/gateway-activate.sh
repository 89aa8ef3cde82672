set -eu
missing=""
for p in tayga unbound; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -q
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing
fi
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
