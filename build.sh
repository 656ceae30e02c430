#!/usr/bin/env bash
# Builds every executable of the repository (each src/*/ project whose OutputType is Exe:
# mogilefsd, mogstored, mogdbsetup, and any tool added later) in Release and publishes them,
# framework-dependent, into one folder a user can put on PATH:
#
#   ./build.sh                 # -> artifacts/bin/
#   ./build.sh /opt/mogilefs   # -> /opt/mogilefs/
#   export PATH="$PWD/artifacts/bin:$PATH"
#
# Needs the .NET 10 SDK; running the result needs the .NET 10 runtime.
#
#   ./build.sh install [PREFIX]   # PREFIX (default /usr/local): programs into PREFIX/lib/mogilefs,
#                                 # links in PREFIX/bin, systemd units (mogilefsd, mogstored, moggateway) into
#                                 # $UNITDIR (default /etc/systemd/system) with PREFIX/bin in ExecStart
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "${1:-}" = "install" ]; then
    prefix="${2:-/usr/local}"
    unitdir="${UNITDIR:-/etc/systemd/system}"
    mkdir -p "$prefix/lib/mogilefs" "$prefix/bin" "$unitdir" "$prefix/share/doc/mogilefs"
    "$root/build.sh" "$prefix/lib/mogilefs"
    for exe in "$prefix/lib/mogilefs"/mog*; do
        [ -x "$exe" ] && [ ! -d "$exe" ] && case "$exe" in *.dll|*.json|*.pdb|*.so) ;; *) ln -sf "$exe" "$prefix/bin/$(basename "$exe")" ;; esac
    done
    for unit in "$root"/packaging/systemd/*.service; do
        sed -e "s:/usr/local/bin/:$prefix/bin/:g" -e "s:/usr/local/share/doc/:$prefix/share/doc/:g" "$unit" > "$unitdir/$(basename "$unit")"
    done
    cp "$root/README.md" "$root/LICENSE" "$root/CHANGELOG.md" "$prefix/share/doc/mogilefs/"
    echo "Installed into $prefix (programs in $prefix/bin), systemd units into $unitdir."
    echo "Next: create the 'mogile' user, /etc/mogilefs/*.conf, then: systemctl daemon-reload && systemctl enable --now mogstored mogilefsd"
    exit 0
fi
out="${1:-$root/artifacts/bin}"
configuration="${CONFIGURATION:-Release}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

mapfile -t projects < <(grep -l -i -E '<OutputType>[[:space:]]*Exe[[:space:]]*</OutputType>' "$root"/src/*/*.csproj | sort)
if [ "${#projects[@]}" -eq 0 ]; then
    echo "build.sh: no executable projects under src/" >&2
    exit 1
fi

for project in "${projects[@]}"; do
    name="$(sed -n 's:.*<AssemblyName>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</AssemblyName>.*:\1:p' "$project" | head -n1)"
    [ -n "$name" ] || name="$(basename "$project" .csproj)"
    echo "==> $name ($(realpath --relative-to="$root" "$project"))"
    dotnet publish "$project" --nologo -c "$configuration" --no-self-contained -p:UseAppHost=true -o "$out" \
        -v quiet -clp:NoSummary
    if [ ! -x "$out/$name" ]; then
        echo "build.sh: $out/$name was not produced" >&2
        exit 1
    fi
done

echo
echo "Built into $out:"
for project in "${projects[@]}"; do
    name="$(sed -n 's:.*<AssemblyName>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</AssemblyName>.*:\1:p' "$project" | head -n1)"
    echo "  ${name:-$(basename "$project" .csproj)}"
done
echo "Add it to PATH:  export PATH=\"$out:\$PATH\""
