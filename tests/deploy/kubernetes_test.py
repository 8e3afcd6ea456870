#!/usr/bin/env python3
"""Render check of deploy/kubernetes (ctest kubernetes_manifests, label deploy).

Copies the folder to a temporary one, generates tokens with scripts/make-tokens.sh, renders
it with `kubectl kustomize` (offline: no cluster) and checks what a deployment relies on:
one coordinator replica with a volume claim for the database, grpc health probes, the
drain time, the Service the workers dial, the token Secret mounted into both. Exit 77
(ctest: skipped) with the reason when kubectl is not installed. Usage:
kubernetes_test.py SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def documents(rendered):
    """The rendered stream as {(kind, name): text}."""
    docs = {}
    for text in re.split(r"^---\s*$", rendered, flags=re.M):
        kind = re.search(r"^kind: (\S+)", text, flags=re.M)
        name = re.search(r"^  name: (\S+)", text, flags=re.M)
        if kind and name:
            docs[(kind.group(1), name.group(1))] = text
    return docs


def main():
    source = sys.argv[1]
    if shutil.which("kubectl") is None:
        print("kubernetes_test: SKIP: kubectl not on PATH (Debian: kubernetes-client)")
        return SKIP
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        deploy = os.path.join(tmp, "kubernetes")
        shutil.copytree(os.path.join(source, "deploy", "kubernetes"), deploy,
                        ignore=shutil.ignore_patterns("tokens"))
        subprocess.run([os.path.join(source, "scripts", "make-tokens.sh"),
                        os.path.join(deploy, "tokens")], check=True, stdout=subprocess.DEVNULL)
        tokens = {n: open(os.path.join(deploy, "tokens", n + "-token")).read().strip()
                  for n in ("client", "worker")}
        check(re.fullmatch(r"[0-9a-f]{64}", tokens["client"]), "client token is 32 random bytes")
        check(tokens["client"] != tokens["worker"], "the two tokens differ")
        run = subprocess.run(["kubectl", "kustomize", deploy], capture_output=True, text=True,
                             timeout=60)
        if run.returncode != 0:
            print("kubernetes_test: kubectl kustomize failed:\n" + run.stderr)
            return 1
    docs = documents(run.stdout)
    kinds = sorted(k for k, _ in docs)
    check(kinds == ["Deployment", "Secret", "Service", "StatefulSet"], f"resources: {kinds}")
    secret = [n for k, n in docs if k == "Secret"]
    sts = docs.get(("StatefulSet", "sweep-coordinator"), "")
    worker = docs.get(("Deployment", "sweep-worker"), "")
    service = docs.get(("Service", "sweep-coordinator"), "")

    check(re.search(r"^  replicas: 1$", sts, flags=re.M), "coordinator: exactly one replica")
    check("volumeClaimTemplates:" in sts and "mountPath: /data" in sts and
          "--db=/data/sweep.db" in sts, "coordinator: database on its volume claim")
    for probe in ("readinessProbe", "livenessProbe"):
        check(re.search(probe + r":\n(?:\s+.*\n)*?\s+grpc:\n\s+port: 7070", sts),
              f"coordinator: {probe} on grpc.health.v1")
    check("terminationGracePeriodSeconds: 10" in sts, "coordinator: 10 s for its 8 s drain")
    check("--client-token-file=/etc/sweep/tokens/client.token" in sts and
          "--worker-token-file=/etc/sweep/tokens/worker.token" in sts,
          "coordinator: token files from the Secret")
    check("--coordinator=sweep-coordinator:7070" in worker, "workers dial the Service")
    check("--token-file=/etc/sweep/tokens/worker.token" in worker, "workers: token file")
    check("port: 7070" in service and "app.kubernetes.io/name: sweep-coordinator" in service,
          "Service: port 7070 to the coordinator pod")
    for name, text in (("coordinator", sts), ("workers", worker)):
        check(len(secret) == 1 and f"secretName: {secret[0]}" in text,
              f"{name}: mount the generated Secret {secret}")
        check(re.search(r"requests:\n\s+cpu: .*\n\s+memory: ", text) and
              re.search(r"limits:\n\s+cpu: .*\n\s+memory: ", text),
              f"{name}: resource requests and limits")
        check("image: sweep:latest" in text, f"{name}: the sweep image")
    slots = re.search(r"--slots=(\d+)", worker)
    cpu = re.search(r"requests:\n\s+cpu: \"?(\d+)\"?", worker)
    check(slots and cpu and slots.group(1) == cpu.group(1), "workers: --slots = CPU request")

    for f in failures:
        print("kubernetes_test: FAIL: " + f)
    if not failures:
        print(f"kubernetes_test: PASS ({len(docs)} resources rendered)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
