/**
 * A STAND-IN for the `kind` program, for tests: no kind binary exists on the machine that tests this
 * project, and kind's node image cannot be pulled there. `create cluster` prints kind's own progress
 * lines (the samples cited in test/unit/kind.test.ts), `get kubeconfig` prints the kubeconfig of the
 * Kubernetes test cluster, and `load docker-image` does what kind does inside each node — `docker
 * save | ctr images import` — into the test cluster's containerd. Every call is appended to
 * `<dir>/state/calls`, every loaded image to `<dir>/state/loaded`.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Writes the stand-in into `<dir>/bin` (put it first on PATH) and answers that folder. */
export function standInKind(dir: string, kubeconfig: string, containerd: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  fs.writeFileSync(path.join(state, 'clusters'), '');
  const script = `#!/bin/bash
# STAND-IN for kind: no kind binary exists on this machine (see targets-kind.test.ts).
state=${state}
echo "$*" >> "$state/calls"
name=""
args=("$@")
for ((i = 0; i < \${#args[@]}; i++)); do [ "\${args[$i]}" = "--name" ] && name="\${args[$((i + 1))]}"; done
case "$1 $2" in
"version "*) echo "kind v0.23.0 go1.21.10 linux/amd64" ;;
"get clusters")
  if [ -s "$state/clusters" ]; then cat "$state/clusters"; else echo "No kind clusters found." >&2; fi ;;
"create cluster")
  if grep -qx "$name" "$state/clusters"; then
    echo "ERROR: failed to create cluster: node(s) already exist for a cluster with the name \\"$name\\"" >&2; exit 1
  fi
  {
    echo "Creating cluster \\"$name\\" ..."
    echo " • Ensuring node image (kindest/node:v1.27.3) 🖼  ..."; sleep 0.2
    echo " ✓ Ensuring node image (kindest/node:v1.27.3) 🖼"
    echo " • Preparing nodes 📦   ..."; sleep 0.2
    echo " ✓ Preparing nodes 📦 "
    echo " • Writing configuration 📜  ..."
    echo " ✓ Writing configuration 📜"
    echo " • Starting control-plane 🕹️  ..."; sleep 0.2
    echo " ✓ Starting control-plane 🕹️"
    echo " • Installing CNI 🔌  ..."
    echo " ✓ Installing CNI 🔌"
    echo " • Installing StorageClass 💾  ..."
    echo " ✓ Installing StorageClass 💾"
    echo " • Waiting ≤ 5m0s for control-plane = Ready ⏳  ..."
    echo " ✓ Waiting ≤ 5m0s for control-plane = Ready ⏳"
    echo " • Ready after 19s 💚"
  } >&2
  echo "$name" >> "$state/clusters" ;;
"get kubeconfig")
  if ! grep -qx "$name" "$state/clusters"; then
    echo "ERROR: could not locate any control plane nodes for cluster named '$name'" >&2; exit 1
  fi
  cat ${kubeconfig} ;;
"load docker-image")
  ref="\${args[$((\${#args[@]} - 1))]}"
  id=$(docker image inspect -f '{{.Id}}' "$ref") || exit 1
  echo "Image: \\"$ref\\" with ID \\"$id\\" not yet present on node \\"$name-control-plane\\", loading..."
  echo "$ref" >> "$state/loaded"
  set -o pipefail
  docker save "$ref" | ctr --address ${containerd} -n k8s.io images import - >/dev/null ;;
"delete cluster")
  echo "Deleting cluster \\"$name\\" ..." >&2
  grep -vx "$name" "$state/clusters" > "$state/clusters.new"; mv "$state/clusters.new" "$state/clusters" ;;
*) echo "ERROR: unknown command \\"$1\\" for \\"kind\\"" >&2; exit 1 ;;
esac
`;
  fs.writeFileSync(path.join(bin, 'kind'), script, { mode: 0o755 });
  return bin;
}
