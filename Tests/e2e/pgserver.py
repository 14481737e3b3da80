"""A real PostgreSQL server for end-to-end tests: Debian's binaries run as the `postgres` user
on a private port and socket directory under a temp folder (no TCP), trust authentication on
the socket; one database `sales`. Needs root (runuser) and the `postgresql` package."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile


def unavailable():
    """Why this machine cannot run the server, or None."""
    if os.geteuid() != 0:
        return "not root: the server runs as the postgres user (runuser)"
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL is not installed (apt-get install -y postgresql; `make deps` does it)"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self):
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.dir = tempfile.mkdtemp(prefix="sales-pg-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "sock")
        os.makedirs(self.sock)
        self.port = _free_port()
        subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
        self.as_postgres(f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses='' -c max_connections=200"
        self.as_postgres(f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "30",
                         "-o", opts, "start")
        self.as_postgres(f"{self.bin}/createdb", "-h", self.sock, "-p", str(self.port), "-U", "postgres", "sales")
        self.url = f"postgresql:///sales?host={self.sock}&port={self.port}&user=postgres"

    def as_postgres(self, *cmd):
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, text=True,
                              cwd=self.dir).stdout

    def query(self, sql):
        """Rows of a query as lists of strings (psql, unaligned, tab-separated)."""
        out = self.as_postgres(f"{self.bin}/psql", "-h", self.sock, "-p", str(self.port), "-U", "postgres", "-d", "sales",
                               "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
