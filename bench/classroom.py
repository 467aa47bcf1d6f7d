#!/usr/bin/env python3
"""A class on one server, measured: JupyterHub with genlab's system install and N students at once.

Usage (Linux, as root, from a checkout where `python3 scripts/setup.py` has run):
    python3 bench/classroom.py [--students 2 4] [--timeout 1800]

What it starts, all on 127.0.0.1 and all stopped and removed when it ends (also on failure or
Ctrl-C): the system install (`scripts/classroom.py install target/classroom/opt`, kept for the
next run), a Python environment with JupyterHub and JupyterLab (target/classroom/hub-venv, kept),
configurable-http-proxy from npm (target/classroom/node, kept), for each N: N Unix users
`genlab-bench-K` with homes under target/classroom/homes, the hub with classroom/jupyterhub_config.py
and a dummy authenticator, and one control group per student (cgroup v1 cpuacct and memory).

Each student, all at once, as in a first lecture: the hub starts their server; they open notebook
01's kernel over the REST and websocket API and run its build cell, its `use` cell, the parameters
(41 iterations), its first figure (the GAN diagram), the generator and discriminator cells, the
GAN's construction, a short training (41 iterations) and the loss figure.
Per student it prints: server start (s), first figure after the server is up (s), the training
cell (s), CPU seconds and peak memory of everything the student ran (their control group; memory
includes the page cache their processes touched), and the disk their home holds beyond the
notebooks. Results: bench/results/classroom.json.
"""
import argparse
import json
import os
import pathlib
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "classroom"
PREFIX = WORK / "opt"
HUB_VENV = WORK / "hub-venv"
NODE = WORK / "node"
HOMES = WORK / "homes"
CGROUP = "genlab-bench"
HUB_REQS = ["jupyterhub>=5,<6", "jupyterlab>=4,<5", "websocket-client>=1.6,<2"]


def say(message):
    print(f"== classroom bench: {message}", flush=True)


# ---------------------------------------------------------------- tools and install (kept)

def ensure_tools():
    python = HUB_VENV / "bin" / "python3"
    stamp = HUB_VENV / ".genlab-reqs"
    if not python.exists():
        # The system's Python: every student must be able to run it (a pyenv under /root is not).
        say(f"creating {HUB_VENV} with /usr/bin/python3")
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(HUB_VENV)], check=True)
    if not stamp.exists() or stamp.read_text().split() != HUB_REQS:
        say(f"installing {' '.join(HUB_REQS)}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", *HUB_REQS], check=True)
        stamp.write_text(" ".join(HUB_REQS) + "\n")
    proxy = NODE / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        say("installing configurable-http-proxy (npm)")
        subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE), "configurable-http-proxy@4"], check=True)
    return python, proxy


def ensure_install():
    started = time.time()
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "classroom.py"), "install",
                    str(PREFIX), "--jupyter-prefix", str(HUB_VENV)], check=True)
    return time.time() - started


# ---------------------------------------------------------------- users and control groups

def user_name(k):
    return f"genlab-bench-{k}"


def create_users(n):
    HOMES.mkdir(parents=True, exist_ok=True)
    for k in range(1, n + 1):
        subprocess.run(["useradd", "--create-home", "--base-dir", str(HOMES), "--shell", "/bin/bash", user_name(k)],
                       check=True)


def remove_users(n):
    """Ends every process of the benchmark's users, then removes them and their homes."""
    for k in range(1, n + 1):
        name = user_name(k)
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        deadline = time.time() + 30
        while subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True).returncode == 0:
            if time.time() > deadline:
                raise RuntimeError(f"the processes of {name} do not end")
            time.sleep(0.5)
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=True)


def cgroup_dirs(name):
    return [pathlib.Path("/sys/fs/cgroup") / ctl / CGROUP / name for ctl in ("cpuacct", "memory")]


def make_cgroups(name):
    for d in cgroup_dirs(name):
        d.mkdir(parents=True, exist_ok=True)


def join_cgroups(name, uid):
    """Moves every process of `uid` into the student's control groups (their children follow)."""
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    for d in cgroup_dirs(name):
                        (d / "cgroup.procs").write_text(pid)
            except OSError:
                pass


def cgroup_usage(name):
    cpu, memory = cgroup_dirs(name)
    return int((cpu / "cpuacct.usage").read_text()) / 1e9, int((memory / "memory.max_usage_in_bytes").read_text())


def remove_cgroups(n):
    for k in range(1, n + 1):
        for d in cgroup_dirs(user_name(k)):
            for group in (d, d.parent):  # the student's, then the benchmark's when it is empty
                try:
                    group.rmdir()
                except OSError:
                    pass


def disk_use(home):
    """Bytes on disk in a student's home, links counted as links: (beyond their notebooks and
    runs, their runs)."""
    beyond = runs = 0
    for root, dirs, files in os.walk(home):
        for f in files:
            size = os.lstat(os.path.join(root, f)).st_blocks * 512
            if pathlib.Path(root).is_relative_to(home / "genlab" / "runs"):
                runs += size
            elif not (root == str(home / "genlab") and f.endswith(".ipynb")):
                beyond += size
    return beyond, runs


# ---------------------------------------------------------------- the hub

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, proxy, state):
        self.port = free_port()
        self.token = secrets.token_hex(32)
        self.base = f"http://127.0.0.1:{self.port}"
        config = state / "bench_config.py"
        config.write_text(
            f"exec(open({str(ROOT / 'classroom' / 'jupyterhub_config.py')!r}).read())\n"
            f"c.JupyterHub.services = [{{'name': 'bench', 'api_token': {self.token!r}}}]\n"
            "c.JupyterHub.load_roles = [{'name': 'bench', 'services': ['bench'], 'scopes': "
            "['admin:users', 'admin:servers', 'access:servers', 'read:users']}]\n")
        env = {**os.environ, "GENLAB_PREFIX": str(PREFIX), "GENLAB_HUB_PORT": str(self.port),
               "GENLAB_HUB_STATE": str(state), "GENLAB_HUB_PROXY": str(proxy), "GENLAB_HUB_AUTHENTICATOR": "dummy",
               "PATH": f"{HUB_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
        self.log = open(state / "hub.log", "w")
        self.process = subprocess.Popen([str(HUB_VENV / "bin" / "jupyterhub"), "-f", str(config)], cwd=state, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while True:
            try:
                self.api("GET", "/hub/api/")
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the hub did not start: see {WORK}/hub-N.log")
                time.sleep(0.5)

    def api(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------- one student

def lecture_cells():
    """Notebook 01's cells a first lecture runs, with 41 iterations: (label, code)."""
    nb = json.loads((PREFIX / "notebooks" / "01_gan.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    parameters = ("let iterations: u64 = 41;\nlet snapshot_every: u64 = 10;\n"
                  "let slide_1: &[u64] = &[0, 10, 20];\nlet slide_2: &[u64] = &[30, 40];")
    generator = next(c for c in code if c.lstrip().startswith("// 생성자") or "type Generator" in c)
    discriminator = next(c for c in code if "type Discriminator" in c)
    start = next(c for c in code if "start_over(config)" in c)
    train = next(c for c in code if c.startswith("gan.train_until(iterations)"))
    return [("build", code[0]), ("use", code[1]), ("parameters", parameters), ("first figure", "Figure::gan_diagram()"),
            ("generator", generator), ("discriminator", discriminator), ("gan", start), ("training", train),
            ("loss figure", "gan.loss_figure()?")]


def run_cell(ws, session, code, timeout):
    """Executes `code` over the kernel's websocket; (seconds, seconds to its first PNG or None)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "bench",
                                   "session": session, "version": "5.3", "date": ""},
                        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                    "allow_stdin": False, "stop_on_error": True}}))
    started, figure, errors = time.time(), None, []
    while True:
        if time.time() - started > timeout:
            raise RuntimeError(f"a cell ran over {timeout} s")
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("display_data", "execute_result") and "image/png" in content.get("data", {}) and figure is None:
            figure = time.time() - started
        elif kind == "error":
            errors.append(content.get("evalue", "") + " " + " ".join(content.get("traceback", []))[:1500])
        elif kind == "stream" and "panicked" in content.get("text", ""):
            errors.append(content["text"])
        elif kind == "status" and content["execution_state"] == "idle" and msg["channel"] == "iopub":
            break
    if errors:
        raise RuntimeError(f"cell failed: {errors}")
    return time.time() - started, figure


def student(hub, k, cells, timeout, result, go):
    import websocket  # websocket-client, in the hub's environment (this script runs there)

    name = user_name(k)
    uid = pwd.getpwnam(name).pw_uid
    make_cgroups(name)
    go.wait()
    try:
        hub.api("POST", f"/hub/api/users/{name}")
        t0 = time.time()
        hub.api("POST", f"/hub/api/users/{name}/server")
        while not hub.api("GET", f"/hub/api/users/{name}")["servers"].get("", {}).get("ready"):
            if time.time() - t0 > 180:
                raise RuntimeError("the server did not start in 180 s")
            time.sleep(0.2)
        ready = time.time()
        result["server_start_s"] = ready - t0
        join_cgroups(name, uid)
        kernel = hub.api("POST", f"/user/{name}/api/kernels", {"name": "genlab-rust"})
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel['id']}/channels",
            header=[f"Authorization: token {hub.token}"], timeout=timeout)
        session = uuid.uuid4().hex
        cell_s = {}
        for label, code in cells:
            try:
                wall, figure = run_cell(ws, session, code, timeout)
            except RuntimeError as error:
                raise RuntimeError(f"the {label} cell: {error}") from None
            cell_s[label] = wall
            if label == "first figure":
                result["first_figure_s"] = time.time() - ready
        ws.close()
        result["cells_s"] = cell_s
        result["training_s"] = cell_s["training"]
        result["cpu_s"], result["peak_memory_bytes"] = cgroup_usage(name)
        hub.api("DELETE", f"/user/{name}/api/kernels/{kernel['id']}")
        hub.api("DELETE", f"/hub/api/users/{name}/server")
        result["disk_bytes"], result["runs_bytes"] = disk_use(HOMES / name)
    except Exception as error:  # reported in the student's line; the run goes on for the others
        result["error"] = f"{type(error).__name__}: {error}"


def run_class(n, proxy, timeout):
    state = WORK / f"hub-{n}"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    remove_users(n)  # what a killed earlier run left
    create_users(n)
    hub = None
    try:
        hub = Hub(proxy, state)
        cells = lecture_cells()
        results = [{"student": user_name(k)} for k in range(1, n + 1)]
        go = threading.Event()
        threads = [threading.Thread(target=student, args=(hub, k, cells, timeout, results[k - 1], go), daemon=True)
                   for k in range(1, n + 1)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        return results
    finally:
        if hub is not None:
            hub.stop()
        remove_users(n)
        remove_cgroups(n)
        if (state / "hub.log").exists():
            shutil.copy2(state / "hub.log", WORK / f"hub-{n}.log")  # kept: what to read when it failed
        shutil.rmtree(state, ignore_errors=True)


def line(r):
    if "error" in r:
        return f"{r['student']}: FAILED {r['error']}"
    return (f"{r['student']}: server {r['server_start_s']:.1f} s, first figure {r['first_figure_s']:.1f} s after it, "
            f"training (41 it.) {r['training_s']:.1f} s, cpu {r['cpu_s']:.0f} s, "
            f"peak memory {r['peak_memory_bytes'] / 2**20:.0f} MiB, disk {r['disk_bytes'] / 1e6:.1f} MB "
            f"(+ its run {r['runs_bytes'] / 1e6:.1f} MB)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[2, 4], help="class sizes, run one after another")
    parser.add_argument("--timeout", type=int, default=1800, help="the whole benchmark's limit in seconds")
    opts = parser.parse_args(argv)
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        print("error: the benchmark creates Unix users and control groups: run it as root on Linux", file=sys.stderr)
        return 2
    if not pathlib.Path("/sys/fs/cgroup/memory").is_dir():
        print("error: needs cgroup v1's memory and cpuacct controllers at /sys/fs/cgroup", file=sys.stderr)
        return 2
    python, proxy = ensure_tools()
    if pathlib.Path(sys.executable).resolve() != python.resolve():
        # The students' websocket client lives in the hub's environment: continue there.
        return subprocess.run([str(python), __file__, *(sys.argv[1:] if argv is None else argv)]).returncode
    deadline = time.time() + opts.timeout
    install_s = ensure_install()
    say(f"system install ready in {install_s:.0f} s ({PREFIX})")
    report = {"install_s": install_s, "cores": os.cpu_count(), "classes": {}}
    for n in opts.students:
        left = deadline - time.time()
        if left < 120:
            say(f"stopping before N={n}: the {opts.timeout} s limit is near")
            break
        say(f"{n} students at once")
        results = run_class(n, proxy, timeout=left)
        for r in results:
            print("   " + line(r), flush=True)
        ok = [r for r in results if "error" not in r]
        if ok:
            worst = max(r["first_figure_s"] for r in ok)
            print(f"   N={n}: {len(ok)}/{n} reached their first figure; slowest {worst:.1f} s after its server "
                  f"started; peak memory per student up to {max(r['peak_memory_bytes'] for r in ok) / 2**20:.0f} MiB; "
                  f"disk per student up to {max(r['disk_bytes'] for r in ok) / 1e6:.1f} MB", flush=True)
        report["classes"][str(n)] = results
    out = ROOT / "bench" / "results" / "classroom.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    say(f"results in {out.relative_to(ROOT)}")
    failed = any("error" in r for results in report["classes"].values() for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
