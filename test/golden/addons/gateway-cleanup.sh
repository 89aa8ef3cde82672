set -eu
umask 022
put() {
    t="${1%/*}/.${1##*/}.v6k8s-new"
    if cmp -s "$t" "$1" 2>/dev/null && [ "$(stat -c %a "$1")" = "${2#0}" ]; then
        rm -f "$t"
    else
        chmod "$2" "$t"
        mv -f "$t" "$1"
    fi
}
own() {
    o_dir=${V6K8S_OWNED_DIR:-/var/lib/v6k8s/owned}
    o_list="$o_dir/$1.list"
    o_next="$o_dir/.$1.list.v6k8s-new"
    o_gone="$o_dir/.$1.gone.v6k8s-new"
    [ -d "$o_dir" ] || (umask 022 && mkdir -p "$o_dir")
    cat > "$o_next"
    : > "$o_gone"
    if [ -f "$o_list" ]; then
        tac "$o_list" | while IFS= read -r o_path; do
            case "$o_path" in /*) ;; *) continue ;; esac
            if grep -qxF -- "$o_path" "$o_next"; then continue; fi
            for o_other in "$o_dir"/*.list; do
                if [ "$o_other" != "$o_list" ] && grep -qxF -- "$o_path" "$o_other" 2>/dev/null; then continue 2; fi
            done
            printf '%s\n' "$o_path"
        done > "$o_gone"
    fi
    while IFS= read -r o_path; do
        case "$o_path" in
            */etc/systemd/system/*/*) ;;
            */etc/systemd/system/*.service | */etc/systemd/system/*.timer | */etc/systemd/system/*.socket | */etc/systemd/system/*.path)
                if [ -e "$o_path" ]; then
                    echo "v6k8s: stopping and disabling ${o_path##*/} (no longer rendered)"
                    systemctl disable --now "${o_path##*/}"
                fi ;;
        esac
    done < "$o_gone"
    o_reload=no
    while IFS= read -r o_path; do
        if [ -d "$o_path" ] && [ ! -L "$o_path" ]; then
            echo "v6k8s: $o_path is a directory now, not the file this step wrote: left alone" >&2
            continue
        fi
        if [ -e "$o_path" ] || [ -L "$o_path" ]; then
            echo "v6k8s: removing $o_path (no longer rendered)"
            rm -f -- "$o_path"
        fi
        case "$o_path" in */etc/systemd/*) o_reload=yes ;; esac
    done < "$o_gone"
    if [ "$o_reload" = yes ]; then systemctl daemon-reload; fi
    rm -f "$o_gone"
    if [ ! -s "$o_next" ]; then
        rm -f "$o_next" "$o_list"
    elif cmp -s "$o_next" "$o_list"; then
        rm -f "$o_next"
    else
        mv -f "$o_next" "$o_list"
    fi
}
own nat64 </dev/null
if ip link show nat64 >/dev/null 2>&1; then
    echo "v6k8s: removing the NAT64 TUN nat64 (this host is no NAT64 gateway any more)"
    ip link del nat64
fi
