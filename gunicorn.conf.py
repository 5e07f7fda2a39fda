"""gunicorn settings read from the working directory (./setup.sh --prod).

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files
there; a worker that exits is marked dead so its live gauges drop out
(its counters stay counted, as Prometheus expects of counters)."""
import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
