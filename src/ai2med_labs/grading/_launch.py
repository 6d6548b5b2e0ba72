"""Start a grading kernel in a sandbox, then exec it (stdlib only: run as a script).

Run by :class:`ai2med_labs.grading.sandbox.SandboxKernelManager` in place of the kernel
command::

    python _launch.py --cwd DIR [--uid U] [--hide PATH]... [--memory B] [--cpu S]
                      [--fsize B] [--nproc N] -- python -m ipykernel_launcher -f CONN

In order, each step only where the system allows it (the grader reports which ones held):

1. a private mount namespace in which each ``--hide`` folder is covered by an empty
   read-only tmpfs (the masters, the gradebook, other students' submissions);
2. the connection file copied into ``--cwd`` for the kernel user;
3. resource limits (address space, CPU seconds, file size, processes, no core dumps);
4. a new session, then ``exec`` of the kernel in ``--cwd`` as the unprivileged ``--uid``
   (through util-linux ``setpriv`` when present; no groups, no new privileges).

It is a script, not a module of the package, so that starting it imports nothing heavy.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import resource
import shutil
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_BIND = 4096
PR_SET_NO_NEW_PRIVS = 38


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def hide_paths(paths: list[str]) -> None:
    """Cover each path with an empty read-only tmpfs (a file with /dev/null) in a private
    mount namespace. Raises OSError when the system does not allow it."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) refused")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making / a private mount refused")
    for path in paths:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path):
            flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            rc = libc.mount(b"tmpfs", path.encode(), b"tmpfs", flags, b"size=4k,mode=0555")
        else:
            rc = libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None)
        if rc != 0:
            raise OSError(ctypes.get_errno(), f"hiding {path} refused")


def _unshared() -> bool:
    return os.environ.get("_AI2MED_UNSHARED") == "1"


def expose_interpreter(paths: list[str]) -> None:
    """Make the folders of ``paths`` (the interpreter's stdlib, say) reachable by any user
    in this (private) mount namespace: the first ancestor others cannot enter is covered by
    an empty tmpfs into which only the needed child folder is bound back. Raises OSError
    when the system does not allow it."""
    libc = _libc()
    done: set[str] = set()
    for path in paths:
        parts = os.path.abspath(path).split(os.sep)[1:]
        current = "/"
        for i, part in enumerate(parts[:-1]):
            current = os.path.join(current, part)
            if os.stat(current).st_mode & 0o001:
                continue
            if current in done:
                break
            keep = os.path.join(current, parts[i + 1])
            stash = f"/tmp/.ai2med-stash-{os.getpid()}-{len(done)}"
            os.makedirs(stash, exist_ok=True)
            for rc in (libc.mount(keep.encode(), stash.encode(), None, MS_BIND | MS_REC, None),
                       libc.mount(b"tmpfs", current.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                                  b"size=64k,mode=0755")):
                if rc != 0:
                    raise OSError(ctypes.get_errno(), f"exposing {keep} refused")
            os.mkdir(keep)
            if libc.mount(stash.encode(), keep.encode(), None, MS_BIND | MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), f"exposing {keep} refused")
            libc.umount2(stash.encode(), 2)  # MNT_DETACH
            os.rmdir(stash)
            done.add(current)
            break


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.exit("usage: _launch.py [options] -- KERNEL COMMAND")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="_launch.py")
    parser.add_argument("--cwd", required=True)
    parser.add_argument("--uid", type=int)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--fsize", type=int, default=0)
    parser.add_argument("--nproc", type=int, default=0)
    args = parser.parse_args(argv[:split])
    cmd = list(argv[split + 1 :])

    if args.hide:
        hide_paths(args.hide)  # an error here fails the launch: the grader said it would hide

    # The connection file lives in the grader's private runtime folder: give the kernel a copy.
    if "-f" in cmd:
        i = cmd.index("-f") + 1
        copy = os.path.join(args.cwd, ".kernel-connection.json")
        shutil.copyfile(cmd[i], copy)
        os.chmod(copy, 0o600)
        if args.uid is not None:
            os.chown(copy, args.uid, args.uid)
        cmd[i] = copy

    limits = [
        (resource.RLIMIT_AS, args.memory),
        (resource.RLIMIT_CPU, args.cpu),
        (resource.RLIMIT_FSIZE, args.fsize),
        (resource.RLIMIT_CORE, -1),
    ]
    if args.uid is not None:  # per real user: meaningful only for a user of its own
        limits.append((resource.RLIMIT_NPROC, args.nproc))
    for which, value in limits:
        if which == resource.RLIMIT_CORE:
            resource.setrlimit(which, (0, 0))
        elif value > 0:
            hard = value + 5 if which == resource.RLIMIT_CPU else value
            resource.setrlimit(which, (value, hard))

    try:
        os.setsid()
    except OSError:  # already a session leader (jupyter_client starts a new session)
        pass
    os.chdir(args.cwd)
    if args.uid is not None:
        setpriv = shutil.which("setpriv")
        if setpriv:  # util-linux: looks the kernel up before the capabilities go
            os.execv(setpriv, [setpriv, f"--reuid={args.uid}", f"--regid={args.uid}",
                               "--clear-groups", "--no-new-privs", "--", *cmd])
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
        try:
            _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        except OSError:  # pragma: no cover - best effort
            pass
    os.execvpe(cmd[0], cmd, os.environ)

if __name__ == "__main__":
    main(sys.argv[1:])
