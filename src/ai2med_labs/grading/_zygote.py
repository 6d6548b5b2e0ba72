"""A kernel fork server: start grading kernels in milliseconds instead of a second.

Starting a Python kernel costs about a second of CPU (Python, IPython, ipykernel), and a
lab's first cell pays again for numpy and pandas: most of the time a grader spends on a
short notebook. The fork server imports all of that once (run as a script by a grading
worker, as root), then forks one child per notebook; the child enters the sandbox exactly
as ``_launch.py`` does (hidden folders, limits, the unprivileged user, the throw-away
folder, a clean environment) before any student code runs, and becomes the kernel.

Protocol on a UNIX socket, one JSON line each way:

- request ``{"argv": [...kernel args...], "cwd": ..., "uid": ..., "hide": [...],
  "memory": ..., "cpu": ..., "fsize": ..., "nproc": ..., "env": {...}}``
- reply ``{"pid": N}``, later ``{"exit": code}`` (negative: killed by that signal).

The client (``python _zygote.py --client SOCKET REQUEST``) is what jupyter_client starts:
it forwards signals (the interrupt) to the kernel and exits as the kernel does, so
jupyter_client sees an ordinary kernel process. Closing the connection kills the kernel.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

def _send(conn: socket.socket, obj: dict) -> None:
    try:
        conn.sendall((json.dumps(obj) + "\n").encode())
    except OSError:
        pass


def _child(request: dict) -> None:  # pragma: no cover - runs in the forked kernel
    """Enter the sandbox and become the kernel (the caller exits if this returns)."""
    sys.path.insert(0, HERE)
    import resource
    import shutil

    import _launch  # noqa: I001  (the same sandbox steps as the exec launcher)

    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if request.get("hide"):
        _launch.hide_paths(request["hide"])
        if request.get("uid") is not None:  # the modules root imports from must stay reachable
            import sysconfig

            _launch.expose_interpreter([sysconfig.get_paths()["stdlib"], sys.prefix])
    argv = list(request["argv"])
    cwd, uid = request["cwd"], request.get("uid")
    if "-f" in argv:
        i = argv.index("-f") + 1
        copy = os.path.join(cwd, ".kernel-connection.json")
        shutil.copyfile(argv[i], copy)
        os.chmod(copy, 0o600)
        if uid is not None:
            os.chown(copy, uid, uid)
        argv[i] = copy
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for which, key in ((resource.RLIMIT_AS, "memory"), (resource.RLIMIT_CPU, "cpu"),
                       (resource.RLIMIT_FSIZE, "fsize")):
        value = int(request.get(key) or 0)
        if value > 0:
            resource.setrlimit(which, (value, value + 5 if key == "cpu" else value))
    if uid is not None and int(request.get("nproc") or 0) > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (request["nproc"], request["nproc"]))
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(request.get("env") or {})
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        _launch._libc().prctl(_launch.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=argv)
    os._exit(0)


def serve(path: str) -> None:
    """Import the heavy modules once, then fork a kernel per request until stdin closes."""
    import ipykernel.kernelapp  # noqa: F401
    import IPython  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    try:
        import ai2med_labs  # noqa: F401
        import ai2med_labs.checks  # noqa: F401
    except ImportError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(16)
    print("ready", flush=True)
    kids: dict[int, socket.socket] = {}
    conns: dict[socket.socket, int] = {}
    while True:
        readable, _, _ = select.select([listener, sys.stdin, *conns], [], [], 0.2)
        for conn in readable:
            if conn is sys.stdin:
                if not sys.stdin.readline():  # the worker went away: stop, and the kernels
                    for pid in kids:
                        _kill(pid)
                    return
            elif conn is listener:
                client, _ = listener.accept()
                data = b""
                while not data.endswith(b"\n"):
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                try:
                    request = json.loads(data)
                except ValueError:
                    client.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    try:
                        listener.close()
                        client.close()
                        for c in conns:
                            c.close()
                        _child(request)
                    finally:
                        os._exit(70)
                kids[pid] = client
                conns[client] = pid
                _send(client, {"pid": pid})
            else:  # the client closed: kill its kernel
                try:
                    gone = not conn.recv(1)
                except OSError:
                    gone = True
                if gone:
                    _kill(conns.pop(conn))
                    conn.close()
        while kids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            client = kids.pop(pid, None)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            if client is not None:
                _send(client, {"exit": code})
                conns.pop(client, None)
                client.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def client(path: str, request_json: str) -> None:
    """Stand in for the kernel process: ask for a fork, forward signals, exit as it does."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    conn.sendall(request_json.encode() + b"\n")
    buf = b""
    pid = None

    def forward(signum, _frame):
        if pid is not None:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    while True:
        try:
            chunk = conn.recv(4096)
        except InterruptedError:
            continue
        if not chunk:
            os._exit(70)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            if "pid" in msg:
                pid = msg["pid"]
            elif "exit" in msg:
                code = msg["exit"]
                if code < 0:
                    signal.signal(-code, signal.SIG_DFL)
                    os.kill(os.getpid(), -code)
                os._exit(code)


if __name__ == "__main__":
    if sys.argv[1] == "--client":
        client(sys.argv[2], sys.argv[3])
    else:
        serve(sys.argv[1])
