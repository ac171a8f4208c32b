"""Cairn's host launcher: starts the host runtime's task processes for the engine.

The engine (a big Node.js process) runs this once and asks it to start each task's
process. Node.js can only fork its whole process for a child, which costs the engine's
event loop several milliseconds per task; this small process starts children with
posix_spawn (vfork-based in glibc), which costs about as much as a shell's fork and exec,
and it does so on its own core. See docs/engine-design.md for the measurements.

Standard library only, Python 3.9+ (os.pidfd_open), Linux 5.3+.

With --python-fork, a `python3 SCRIPT.py` task whose python3 is this interpreter is started
as a fork of this process instead, which skips the 25-60 ms of a new interpreter's start
(warm_python.py says when that is the same as exec'ing python3, and what it does).

Protocol. The engine writes one JSON object per line on stdin:
  {"op": "start", "id": N, "argv": [...], "env": {...}, "cwd": "..." or null}
  {"op": "signal", "id": N, "signal": 15}   signal the process group of task N
  {"op": "detach", "id": N}                 stop reading N's pipes (a descendant that left
                                            the group may hold them open forever)
The launcher answers with frames on stdout: a 9-byte header (kind: u8, id: u32, length:
u32, big-endian) and `length` bytes of payload:
  READY    {"version": [...], "python_fork": B}  once, at start (id 0)
  STARTED  {"pid": P, "forked": F}          F: started as a fork (--python-fork); when a
                                            python3 task could not be, "exec_because": why
  FAILED   {"errno": E, "message": "..."}  the process could not be started
  STDOUT, STDERR                            raw bytes as they were read
  EXIT     {"code": C} or {"signal": S}, with "usage" from wait4
EXIT comes after the last output of both pipes and after the process was reaped, like
Node.js's 'close' event. Nothing else is written to stdout.

When stdin ends (the engine exited or died), every process still running is killed with
SIGKILL (its whole group) and reaped, and the launcher exits: an attempt whose engine is
gone is retried by the next engine, and must not run twice.
"""

import errno
import gc
import json
import os
import resource
import selectors
import shutil
import signal
import struct
import sys

READY, STARTED, FAILED, STDOUT, STDERR, EXIT = 0, 1, 2, 3, 4, 5
HEADER = struct.Struct(">BII")
CHUNK = 65536

# Python ignores SIGPIPE (and SIGXFSZ) for itself; a child must start with every signal at
# its default, as it would from a shell or from Node.js. SIGKILL and SIGSTOP cannot be set.
DEFAULT_SIGNALS = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]

selector = selectors.DefaultSelector()
out_fd = sys.stdout.fileno()
# The engine's working directory (it starts the launcher there): a relative command or a
# process without a working directory resolves against it, as with Node.js's spawn.
home = os.getcwd()

# Imported from this file's folder (not on sys.path under -I) only when asked for, so a
# launcher without it has nothing more loaded; without a __pycache__ in the package.
# Python 3.10+ (sys.orig_argv, sys.flags' field names); an older one execs every task.
warm_python = None
if "--python-fork" in sys.argv[1:] and sys.version_info >= (3, 10):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True
    import warm_python
    sys.dont_write_bytecode = False
    del sys.path[0]


def send(kind, task_id, payload):
    data = HEADER.pack(kind, task_id, len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(out_fd, view)
        view = view[written:]


def send_json(kind, task_id, value):
    send(kind, task_id, json.dumps(value).encode())


class Task:
    def __init__(self, task_id, pid, out_r, err_r, pidfd):
        self.id = task_id
        self.pid = pid
        self.open_fds = {out_r: STDOUT, err_r: STDERR}
        self.pidfd = pidfd
        self.status = None  # (status, rusage) once reaped

    def close_fd(self, fd):
        selector.unregister(fd)
        os.close(fd)
        del self.open_fds[fd]

    def finish_if_done(self):
        if self.status is None or self.open_fds:
            return False
        status, usage = self.status
        result = {"code": os.waitstatus_to_exitcode(status)}
        if result["code"] < 0:
            result = {"signal": -result["code"]}
        result["usage"] = {
            "cpuSeconds": usage.ru_utime + usage.ru_stime,
            # ru_maxrss is in KiB on Linux; the blocks are 512 bytes (read_bytes/write_bytes of /proc/PID/io).
            "peakMemoryBytes": usage.ru_maxrss * 1024,
            "readBytes": usage.ru_inblock * 512,
            "writtenBytes": usage.ru_oublock * 512,
        }
        send_json(EXIT, self.id, result)
        return True


tasks = {}


# Where a command was found, by (name, PATH), as a shell hashes it: searching the PATH
# costs a stat for each of its folders before the one with the command (eight here before
# /usr/bin), for every task. A remembered file that is no longer executable is searched
# for again, as bash does with its hashed paths.
found_commands = {}


def resolve(command, path):
    if "/" in command:
        return command
    # The child's own PATH, as a shell or Node.js would search it.
    search = path if path is not None else os.defpath
    key = (command, search)
    found = found_commands.get(key)
    if found is not None and os.access(found, os.X_OK):
        return found
    found = shutil.which(command, path=search)
    if found is None:
        found_commands.pop(key, None)
        raise FileNotFoundError(2, "not found")
    found_commands[key] = found
    return found


def spawn(path, argv, env, actions):
    options = {"file_actions": actions, "setpgroup": 0, "setsigdef": DEFAULT_SIGNALS, "setsigmask": []}
    try:
        return os.posix_spawn(path, argv, env, **options)
    except OSError as err:
        if err.errno != errno.ENOEXEC:
            raise
        # An executable file without a #! line: run it with the shell, as execvp (and so
        # Node.js's spawn and a shell) does.
        return os.posix_spawn("/bin/sh", ["/bin/sh", path, *argv[1:]], env, **options)


def start(msg):
    task_id = msg["id"]
    argv = msg["argv"]
    env = msg["env"]
    cwd = msg.get("cwd")
    try:
        path = resolve(argv[0], env.get("PATH"))
    except (OSError, ValueError) as err:
        send_json(FAILED, task_id, {"errno": getattr(err, "errno", None), "message": getattr(err, "strerror", None) or str(err)})
        return
    exec_because = fork_refusal(path, argv, env, cwd)
    fds = []
    try:
        out_r, out_w = os.pipe()
        fds += [out_r, out_w]
        err_r, err_w = os.pipe()
        fds += [err_r, err_w]
        if exec_because is None:
            pid = fork_in(cwd)
        else:
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_w, 1),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ]
            pid = spawn_in(cwd, path, argv, env, actions)
    except (OSError, ValueError) as err:
        # ValueError: a NUL byte in an argument or variable, which no exec can pass;
        # OSError: also EMFILE for the pipes, which fails this start, not the launcher.
        for fd in fds:
            os.close(fd)
        number = err.errno if isinstance(err, OSError) else None
        send_json(FAILED, task_id, {"errno": number, "message": getattr(err, "strerror", None) or str(err)})
        return
    if pid == 0:
        become_python_task(path, argv, env, out_w, err_w)
    os.close(out_w)
    os.close(err_w)
    # A pidfd is readable once the process has exited; it is not reaped until wait4 below,
    # so its pid (and process group) cannot be reused while a signal may still be sent.
    # (Opened after the spawn; the unreaped child stays a zombie until then, so this cannot miss it.)
    pidfd = os.pidfd_open(pid)
    task = Task(task_id, pid, out_r, err_r, pidfd)
    tasks[task_id] = task
    for fd in (out_r, err_r):
        selector.register(fd, selectors.EVENT_READ, (task, "pipe"))
    selector.register(pidfd, selectors.EVENT_READ, (task, "exit"))
    started = {"pid": pid, "forked": exec_because is None}
    if exec_because is not None and warm_python is not None and exec_because != NOT_PYTHON:
        started["exec_because"] = exec_because
    send_json(STARTED, task_id, started)


NOT_PYTHON = "not a python3 script"


def fork_refusal(path, argv, env, cwd):
    """None when the task is to be started as a fork of this interpreter, else why not."""
    if warm_python is None:
        return "--python-fork is off"
    if len(argv) != 2 or not argv[1].endswith(".py"):
        return NOT_PYTHON
    try:
        return warm_python.refusal(path, argv, env, cwd)
    except Exception as err:  # a bug here must cost the fork, not the launcher
        return f"checking failed: {err!r}"


def spawn_in(cwd, path, argv, env, actions):
    # posix_spawn has no working-directory action before Python 3.13; this process is
    # single-threaded, so changing its own directory around the spawn is safe.
    if cwd is not None:
        os.chdir(cwd)
    try:
        return spawn(path, argv, env, actions)
    finally:
        if cwd is not None:
            os.chdir(home)


def fork_in(cwd):
    """os.fork(), with the child in `cwd`: 0 in the child, its pid here. No try/finally
    around the child's return: it leaves through exceptions (SystemExit), which must not
    run this process's clean-up."""
    if cwd is not None:
        os.chdir(cwd)
    # The child's collector then never walks this process's objects, in a collection or at
    # its exit: walking them would copy their pages (about 3 ms of CPU per task measured).
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        if cwd is not None:
            os.chdir(home)
        raise
    if pid == 0:
        return 0
    gc.unfreeze()
    if cwd is not None:
        os.chdir(home)
    # Also set here, as shells do, so the group exists before STARTED lets a signal come.
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # it has exited already
    return pid


def become_python_task(path, argv, env, out_w, err_w):
    """The forked child: what posix_spawn's attributes and file actions give a spawned
    child (its own process group, stdin from /dev/null, stdout and stderr on its pipes,
    no other descriptor, default signal handling), then the script. Never returns."""
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    # Closed through its object, which would otherwise close the number again at exit.
    selector.close()
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    for number in DEFAULT_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    try:
        main = warm_python.prepare(argv, env, path)
    except Exception as err:
        # Not the task's doing, and nothing of it has run: let python3 itself run it.
        os.write(2, f"cairn launcher: the warm interpreter could not become this task ({err!r}); exec'ing {path}\n".encode())
        for number in DEFAULT_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        try:
            os.execve(path, argv, env)
        finally:
            os._exit(127)
    try:
        warm_python.run_as_main(argv[1], main)
    except SystemExit as leaving:
        # Ends the process itself, without tearing down the launcher's modules, unless
        # python3's own end has more to do; then the interpreter's end does it all.
        warm_python.end_as_python3(leaving)
        raise


def signal_group(msg):
    # Also after the process was reaped: a descendant left in its group may still hold the
    # pipes (`cmd &` then exit), and the group's id cannot be reused while it has members.
    task = tasks.get(msg["id"])
    if task is None:
        return
    try:
        os.killpg(task.pid, msg["signal"])
    except ProcessLookupError:
        pass


def detach(msg):
    task = tasks.get(msg["id"])
    if task is None:
        return
    for fd in list(task.open_fds):
        task.close_fd(fd)
    if task.finish_if_done():
        del tasks[task.id]


def on_pipe(task, fd):
    data = os.read(fd, CHUNK)
    if data:
        send(task.open_fds[fd], task.id, data)
        return
    task.close_fd(fd)
    if task.finish_if_done():
        del tasks[task.id]


def on_exit(task):
    selector.unregister(task.pidfd)
    os.close(task.pidfd)
    _, status, usage = os.wait4(task.pid, 0)
    task.status = (status, usage)
    if task.finish_if_done():
        del tasks[task.id]


OPS = {"start": start, "signal": signal_group, "detach": detach}


def shut_down():
    for task in tasks.values():
        # Also a group whose leader was reaped already: what is left of it still runs.
        try:
            os.killpg(task.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if task.status is None:
            os.waitpid(task.pid, 0)
    sys.exit(0)


def main():
    # Fails here, before READY, where pidfds are missing (Python before 3.9, Linux before 5.3).
    os.close(os.pidfd_open(os.getpid()))
    # Three descriptors per running process: allow as many as the hard limit does, as
    # Node.js does for itself (and so for the children it used to start).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.set_blocking(0, False)
    selector.register(0, selectors.EVENT_READ, (None, "commands"))
    send_json(READY, 0, {"version": list(sys.version_info[:3]), "python_fork": warm_python is not None})
    pending = b""
    while True:
        for key, _ in selector.select():
            task, kind = key.data
            if kind == "commands":
                try:
                    data = os.read(0, CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    shut_down()
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    msg = json.loads(line)
                    OPS[msg["op"]](msg)
            elif kind == "pipe":
                # The selector may report a descriptor that a handler before it just closed.
                if key.fd in task.open_fds:
                    on_pipe(task, key.fd)
            elif task.status is None:
                on_exit(task)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # The engine is gone; its stdin end will say so too.
        shut_down()
