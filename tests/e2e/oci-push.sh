#!/bin/sh
# Pushes a plugin to an OCI registry as a Wasm OCI artifact with nothing but
# curl: the config blob, the layer blob, then the manifest under a tag.
#
#   oci-push.sh HOST:PORT REPOSITORY TAG FILE.wasm [SIGNATURE [CONFIG-MEDIA-TYPE]]
#
# SIGNATURE (base64 Ed25519 over FILE) goes into the manifest annotation
# dev.wasm-plugin.signature. The README shows the same requests; the tests
# use this script (and its last argument, to push what is not a plugin).
# Set CURL_AUTH="-u user:password" for a registry with basic auth.
set -eu
reg=$1 repo=$2 tag=$3 file=$4 sig=${5:-} config_type=${6:-application/vnd.wasm.config.v0+json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"architecture":"wasm","os":"wasip2"}' > "$work/config.json"

# POST starts an upload; PUT to its Location with ?digest= completes it.
upload() {
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  location=$(curl -fsS ${CURL_AUTH:-} -X POST -D - -o /dev/null "http://$reg/v2/$repo/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $location in http*) ;; *) location="http://$reg$location" ;; esac
  case $location in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -fsS ${CURL_AUTH:-} -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary @"$1" "$location${sep}digest=$digest" > /dev/null
  echo "$digest"
}
config=$(upload "$work/config.json")
layer=$(upload "$file")
annotations=""
[ -n "$sig" ] && annotations=",\"annotations\":{\"dev.wasm-plugin.signature\":\"$sig\"}"
cat > "$work/manifest.json" <<MANIFEST
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"$config_type","digest":"$config","size":$(wc -c < "$work/config.json")},"layers":[{"mediaType":"application/wasm","digest":"$layer","size":$(wc -c < "$file")}]$annotations}
MANIFEST
curl -fsS ${CURL_AUTH:-} -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary @"$work/manifest.json" "http://$reg/v2/$repo/manifests/$tag"
