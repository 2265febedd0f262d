#!/usr/bin/env bash
# Regenerates natsgw/_proto from api/proto and proto/ (make generate-python).
# Needs protoc and grpc_python_plugin (Debian: protobuf-compiler,
# protobuf-compiler-grpc). The generated modules import each other as
# natsgw._proto.<package>, never as a top-level natsgw.v1.
set -euo pipefail
cd "$(dirname "$0")"
root=../..
out=natsgw/_proto
plugin=$(command -v grpc_python_plugin || echo /usr/bin/grpc_python_plugin)
rm -rf "$out"
mkdir -p "$out"
protoc -I "$root/api/proto" -I proto -I /usr/include \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$plugin" \
  "$root"/api/proto/natsgw/v1/*.proto proto/natsgw_rpc/*.proto
# Imports of our own packages move under natsgw._proto.
find "$out" -name '*.py' -o -name '*.pyi' | sort | while read -r f; do
  sed -i -E \
    -e 's/^from (natsgw\.v1|natsgw_rpc) import /from natsgw._proto.\1 import /' \
    -e 's/^import (natsgw\.v1|natsgw_rpc)\.([a-z_0-9]+) as /import natsgw._proto.\1.\2 as /' \
    "$f"
done
for d in "$out" "$out/natsgw" "$out/natsgw/v1" "$out/natsgw_rpc"; do
  echo '"""Generated protobuf and gRPC code (private; regenerate with make generate-python)."""' > "$d/__init__.py"
done
