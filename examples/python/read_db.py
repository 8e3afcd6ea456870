#!/usr/bin/env python3
"""Read a sweep's results straight from the SQLite file, with the standard library only.

    read_db.py sweep.db SWEEP_ID

prints one JSON object per succeeded job: its config keys, nmse, mse, n_at_eps and the
job's error curve. The file is opened read-only, so this is safe while sweepd runs (WAL
mode lets readers and the one writer work side by side). Tables: docs/schema.md.
"""
import json
import sqlite3
import sys


def job_rows(db_path, sweep_id):
    """Succeeded jobs of the sweep (cached ones included), one dict each."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    # A cached job has no result row of its own: result_job_id points at the job that
    # computed it (docs/schema.md).
    rows = con.execute(
        "SELECT j.job_id, j.config_json, r.mse, r.nmse, r.n_at_eps, r.job_id AS rid "
        "FROM jobs j JOIN results r ON r.job_id = j.result_job_id "
        "WHERE j.sweep_id = ? AND j.state = 'succeeded' ORDER BY j.job_id", (sweep_id,))
    out = []
    for row in rows.fetchall():
        curve = con.execute("SELECT n, nmse FROM eval_curves WHERE job_id = ? ORDER BY n",
                            (row["rid"],)).fetchall()
        out.append({"job_id": row["job_id"], **json.loads(row["config_json"]),
                    "mse": row["mse"], "nmse": row["nmse"], "n_at_eps": row["n_at_eps"],
                    "curve": {n: v for n, v in curve}})
    con.close()
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    for row in job_rows(argv[1], int(argv[2])):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
