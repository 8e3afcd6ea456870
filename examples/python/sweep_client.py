#!/usr/bin/env python3
"""Talk to a running `sweepd` from Python: submit a sweep, follow it, load its results.

Stubs are generated from the repository's proto/ with Debian's `protoc` and
`grpc_python_plugin` (docs/python.md says why not python3-grpc-tools). Needs the
python3-grpcio and python3-protobuf packages; everything else is the standard library.

As a program:
    sweep_client.py --coordinator 127.0.0.1:7070 --token-file sweep.db.client-token \
        examples/small.yaml
submits the file, prints progress until the sweep is done and prints the results, one
dict per group (a pandas DataFrame when pandas is installed).

As a module (see docs/python.md):
    import sweep_client as sc
    stub = sc.connect("127.0.0.1:7070", token=open("sweep.db.client-token").read().strip())
    sweep_id = sc.submit(stub, open("examples/small.yaml").read())
    sc.follow(stub, sweep_id)
    rows = sc.results(stub, sweep_id, group_by=["model", "d"])
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(REPO, "proto")
RPC_TIMEOUT_S = 30  # every call has a deadline, as in the C++ clients

_pb = None  # the generated sweep.v1 modules, loaded by load_stubs()
_grpc_pb = None


def generate_stubs(out_dir, proto_dir=PROTO_DIR):
    """Writes sweep/v1/sweep_pb2.py and sweep_pb2_grpc.py under out_dir."""
    plugin = subprocess.run(["which", "grpc_python_plugin"], capture_output=True, text=True)
    if plugin.returncode != 0:
        raise RuntimeError("grpc_python_plugin not found: apt-get install protobuf-compiler-grpc")
    subprocess.run(
        ["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_out={out_dir}",
         f"--plugin=protoc-gen-grpc={plugin.stdout.strip()}", "sweep/v1/sweep.proto"],
        check=True)


def load_stubs(stub_dir=None):
    """Imports the generated modules, generating them into a temporary folder if needed."""
    global _pb, _grpc_pb
    if _pb is not None:
        return _pb, _grpc_pb
    if stub_dir is None:
        stub_dir = tempfile.mkdtemp(prefix="sweep-stubs-")
        generate_stubs(stub_dir)
    sys.path.insert(0, stub_dir)
    _pb = importlib.import_module("sweep.v1.sweep_pb2")
    _grpc_pb = importlib.import_module("sweep.v1.sweep_pb2_grpc")
    return _pb, _grpc_pb


class _Bearer:
    """Adds `authorization: Bearer <token>` to every call (docs/design.md section 6.5)."""

    def __init__(self, stub, token):
        self._stub, self._metadata = stub, (("authorization", f"Bearer {token}"),)

    def __getattr__(self, method):
        call = getattr(self._stub, method)
        return lambda request: call(request, timeout=RPC_TIMEOUT_S, metadata=self._metadata)


def connect(address, token, tls_ca=None):
    """A SweepService stub whose calls carry the client token and a deadline."""
    import grpc
    _, grpc_pb = load_stubs()
    if tls_ca:
        with open(tls_ca, "rb") as f:
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(f.read()))
    else:
        channel = grpc.insecure_channel(address)
    return _Bearer(grpc_pb.SweepServiceStub(channel), token)


def submit(stub, spec_text, source_name="sweep.yaml", use_cache=True):
    """Submits a sweep file's text; returns the sweep id. A retried call with the same
    request id is answered with the same sweep (the submit is idempotent)."""
    pb, _ = load_stubs()
    reply = stub.SubmitSweep(pb.SubmitSweepRequest(
        request_id=str(uuid.uuid4()), spec_text=spec_text, source_name=source_name,
        use_cache=use_cache))
    return reply.sweep_id


def summary(stub, sweep_id):
    pb, _ = load_stubs()
    return stub.GetSweep(pb.GetSweepRequest(sweep_id=sweep_id)).sweep


def follow(stub, sweep_id, poll_s=1.0, timeout_s=3600, out=sys.stderr):
    """Polls until no job is queued or running; returns the final summary."""
    deadline = time.monotonic() + timeout_s
    while True:
        s = summary(stub, sweep_id)
        done = s.succeeded + s.failed + s.cancelled
        if out is not None:
            print(f"sweep {sweep_id}: {done}/{s.total} done, {s.running} running, "
                  f"{s.failed} failed", file=out)
        if s.queued == 0 and s.running == 0:
            return s
        if time.monotonic() > deadline:
            raise TimeoutError(f"sweep {sweep_id} not done after {timeout_s} s")
        time.sleep(poll_s)


def jobs(stub, sweep_id, state=""):
    """Every job of the sweep as a dict (config parsed), following the reply pages."""
    pb, _ = load_stubs()
    out, token = [], ""
    while True:
        reply = stub.ListJobs(pb.ListJobsRequest(sweep_id=sweep_id, state=state,
                                                 page_token=token))
        for j in reply.jobs:
            out.append({"job_id": j.job_id, "state": j.state, "failure": j.failure,
                        "attempt": j.attempt, "cached": j.cached, "worker_id": j.worker_id,
                        "error": j.error, **json.loads(j.config_json)})
        token = reply.next_page_token
        if not token:
            return out


_STATS = ("count", "mse_mean", "mse_std", "mse_se", "mse_ci_lo", "mse_ci_hi", "nmse_mean",
          "nmse_std", "nmse_se", "nmse_ci_lo", "nmse_ci_hi", "diverged")


def _query(pb, sweep_id, group_by, where):
    return pb.ResultsQuery(sweep_id=sweep_id, group_by=group_by or [],
                           where={k: str(v) for k, v in (where or {}).items()})


def _groups(call, make_request):
    """Every group of a paged reply (GetResults, GetCurves): follows next_page_token."""
    token = ""
    while True:
        reply = call(make_request(token))
        yield from reply.groups
        token = reply.next_page_token
        if not token:
            return


def results(stub, sweep_id, group_by=None, where=None):
    """One dict per group: the group's key values (parsed JSON) and its statistics
    (docs/statistics.md). group_by defaults to every config key except seed."""
    pb, _ = load_stubs()
    query = _query(pb, sweep_id, group_by, where)
    groups = _groups(stub.GetResults,
                     lambda token: pb.GetResultsRequest(query=query, page_token=token))
    return [{**{k: json.loads(v) for k, v in g.key.items()},
             **{s: getattr(g, s) for s in _STATS}} for g in groups]


def curves(stub, sweep_id, group_by=None, where=None):
    """One dict per (group, n): nmse and mse against the context length n."""
    pb, _ = load_stubs()
    query = _query(pb, sweep_id, group_by, where)
    rows = []
    for g in _groups(stub.GetCurves,
                     lambda token: pb.GetCurvesRequest(query=query, page_token=token)):
        key = {k: json.loads(v) for k, v in g.key.items()}
        for p in g.points:
            rows.append({**key, "n": p.n, **{s: getattr(p, s) for s in _STATS[:-1]}})
    return rows


def as_frame(rows):
    """A pandas DataFrame of rows when pandas is installed, else the rows unchanged."""
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec", help="sweep file (YAML or JSON)")
    ap.add_argument("--coordinator", default=os.environ.get("SWEEP_COORDINATOR",
                                                            "127.0.0.1:7070"))
    ap.add_argument("--token-file", default=os.environ.get("SWEEP_TOKEN_FILE"),
                    help="the client token (sweepd writes DB.client-token)")
    ap.add_argument("--tls-ca", help="CA certificate when sweepd serves TLS")
    ap.add_argument("--group-by", default="", help="comma-separated keys")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args(argv)
    if not args.token_file:
        ap.error("--token-file (or SWEEP_TOKEN_FILE) is required")
    with open(args.token_file) as f:
        token = f.read().strip()
    stub = connect(args.coordinator, token, args.tls_ca)
    with open(args.spec) as f:
        sweep_id = submit(stub, f.read(), os.path.basename(args.spec))
    follow(stub, sweep_id)
    group_by = [k for k in args.group_by.split(",") if k]
    rows = results(stub, sweep_id, group_by)
    if args.json:
        print(json.dumps({"sweep_id": sweep_id, "results": rows}))
    else:
        print(as_frame(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
