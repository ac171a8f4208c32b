"""Starting a `python3 script.py` task as a fork of the launcher's own, warm interpreter.

A new interpreter costs 25-60 ms on the development machines, most of a small task's
time; a fork of this one costs about a millisecond. The forked child becomes what
`python3 script.py` would have been: the same interpreter file, the task's environment
(os.environ and the C environment), working directory, sys.argv, sys.path (the script's
folder, PYTHONPATH, site-packages and .pth files, sitecustomize), sys.flags, standard
streams, signal handlers, and a fresh `__main__`; its exceptions and exit codes go
through the interpreter's own handling, as they would at the end of a script, and it ends
as python3 ends (`end_as_python3`), except that the modules the launcher had loaded are
not torn down.

A fork is used only where it cannot differ from an exec in what a script can rely on
(`refusal` says why not, and the launcher then spawns python3 as usual):
- `python3` on the task's PATH is the launcher's interpreter (the same real file), not a
  virtual environment's (pyvenv.cfg) nor a version manager's shim;
- no PYTHON* variable other than PYTHONPATH, PYTHONUNBUFFERED and PYTHONDONTWRITEBYTECODE
  (which this module applies) is set: the others (PYTHONHOME, PYTHONSAFEPATH,
  PYTHONHASHSEED, PYTHONIOENCODING, ...) are read once, when an interpreter starts;
- the locale variables are the launcher's (the interpreter's encodings are fixed at its
  start; in the C locale both coerce LC_CTYPE alike), and nothing the dynamic loader or
  libc reads at exec (LD_*, MALLOC_*, ...) is set;
- no module already imported here is shadowed by a file in the script's folder or a
  PYTHONPATH folder, where `python3` would have found the task's own module first.

What stays different, by design (docs/engine-design.md, "The warm Python interpreter"):
- the modules the launcher imported stay imported. They are standard-library modules
  only, imported from the standard library's own folders, which a fresh interpreter would
  import from the same files (the shadowing check above makes sure); their state is what
  importing them leaves (the launcher creates no threads, registers no atexit or fork
  handlers, and keeps nothing in them);
- the hash seed of str and bytes is the launcher's for every forked task (each exec'd
  python3 draws its own; PYTHONHASHSEED in a task's environment means an exec);
- the script's frame has the launcher's frames above it: tracebacks leave them out, but
  traceback.print_stack() and inspect.stack() show them;
- the launcher's objects are frozen (gc.freeze), so gc.get_objects() does not list them;
- at the end, the modules the launcher had loaded are not torn down (their globals are
  not set to None): only the task's own modules and `__main__` are, after the threads,
  the atexit functions and the flushing of the streams, as python3 does them. Tearing the
  launcher's modules down would copy every memory page the fork shares with the launcher
  (on the development machines 23 of a forked task's 26 ms), and nothing of the task's can
  be in them (the launcher keeps nothing there; an object the task put into a standard
  library module of its own accord would not see its __del__ run at the end);
- /proc/PID/cmdline shows the launcher's command line.
"""

import atexit
import builtins
import gc
import io
import os
import signal
import site
import sys
import time
import types
from collections import namedtuple
from importlib.machinery import SourceFileLoader

# Not used here: imported once for every task, since site's .pth lines commonly import it
# (setuptools' namespace packages do), and a fork finds it loaded already (2-4 ms of CPU
# per task on the development machines).
import importlib.util  # noqa: F401

# Applied by prepare, as the interpreter applies them at its start.
APPLIED_PYTHON_VARIABLES = {"PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
# Read by glibc's loader or allocator when a program is exec'd, never after.
EXEC_TIME_PREFIXES = ("LD_", "MALLOC_", "GLIBC_", "GCONV_PATH", "LOCPATH")
# Fixed by the interpreter at its start: the file system and standard stream encodings.
LOCALE_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG")

# What the interpreter looked like when the launcher started (-I -S): only the standard
# library on sys.path, nothing from the environment applied.
# (The launcher imports this module from its own folder, which is on sys.path just then.)
STDLIB_PATH = [entry for entry in sys.path if entry != os.path.dirname(os.path.abspath(__file__))]
LAUNCHER_ENV = dict(os.environ)
# A launcher started in the C locale (no LANG) had LC_CTYPE coerced to a UTF-8 locale at its
# start (PEP 538), which also turned on UTF-8 mode (-I keeps PYTHONUTF8 from doing that).
# The engine gives the launcher no LC_CTYPE of its own, so one there is the coercion's, and a
# task in the same C locale gets it from python3 too.
COERCED_LC_CTYPE = LAUNCHER_ENV.get("LC_CTYPE") if sys.flags.utf8_mode else None
# What a fresh interpreter changes from the default signal dispositions it starts with: it
# ignores SIGPIPE and SIGXFSZ and turns SIGINT into KeyboardInterrupt.
IGNORED_SIGNALS = {signal.SIGPIPE, signal.SIGXFSZ}

Flags = namedtuple("flags", type(sys.flags).__match_args__)


def environment_flag(env, name):
    """The interpreter's reading of a flag variable: unset or empty is 0, a number is itself."""
    value = env.get(name, "")
    return int(value) if value else 0


def preloaded_modules():
    return {name.partition(".")[0] for name in sys.modules}


def refusal(path, argv, env, cwd):
    """Why forking this interpreter for `argv` would not be the same as exec'ing it, or None."""
    if len(argv) != 2 or argv[1].startswith("-") or not argv[1].endswith(".py"):
        return "not `python3 SCRIPT.py`"
    if os.path.realpath(path) != os.path.realpath(sys.executable):
        return f"{argv[0]} is {os.path.realpath(path)}, not the launcher's {os.path.realpath(sys.executable)}"
    here = os.path.dirname(os.path.abspath(path))
    if os.path.exists(os.path.join(here, "pyvenv.cfg")) or os.path.exists(os.path.join(os.path.dirname(here), "pyvenv.cfg")):
        return f"{path} is a virtual environment's"
    for name, value in env.items():
        if name.startswith("PYTHON") and name not in APPLIED_PYTHON_VARIABLES:
            return f"{name} is set"
        if name.startswith(EXEC_TIME_PREFIXES) and LAUNCHER_ENV.get(name) != value:
            return f"{name} is set"
    for name in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"):
        value = env.get(name, "")
        if value and not (value.isascii() and value.isdigit()):
            # The interpreter reads such a value in its own way (C's strtol); not worth copying.
            return f"{name} is not a number"
    started = environment_as_started(env)
    if COERCED_LC_CTYPE is not None and "LC_CTYPE" in env:
        # Set by the task, the same locale would not be coerced, nor UTF-8 mode on.
        return "LC_CTYPE differs from the launcher's"
    for name in LOCALE_VARIABLES:
        if started.get(name) != LAUNCHER_ENV.get(name):
            return f"{name} differs from the launcher's"
    base = cwd if cwd is not None else os.getcwd()
    script = os.path.join(base, argv[1])
    if not os.path.isfile(script):
        # python3's own message for a missing script comes from python3.
        return f"{argv[1]} is not a file"
    shadowed = shadowed_module(base, script, env.get("PYTHONPATH", ""))
    if shadowed is not None:
        return f"{shadowed[1]} would be imported instead of the standard library's {shadowed[0]}"
    return None


def environment_as_started(env):
    """`env` as a python3 started with it has it in os.environ: with the coerced LC_CTYPE,
    where the launcher's locale was coerced (refusal makes sure the task's would be)."""
    if COERCED_LC_CTYPE is None or "LC_CTYPE" in env:
        return env
    return {**env, "LC_CTYPE": COERCED_LC_CTYPE}


def shadowed_module(base, script, pythonpath):
    """A module imported here that python3 would find in the script's or a PYTHONPATH folder first."""
    loaded = preloaded_modules()
    folders = [os.path.dirname(os.path.realpath(script))]
    if pythonpath:
        folders += [os.path.join(base, entry) for entry in pythonpath.split(os.pathsep)]
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            # json.py, json/, _json.cpython-311-x86_64-linux-gnu.so: any of them could be `json`.
            module = name.partition(".")[0]
            if module in loaded:
                return module, os.path.join(folder, name)
    return None


# The modules this interpreter had when it became a task (set by prepare, in the child).
launcher_modules = {}


def prepare(argv, env, path):
    """In the forked child, with the task's process group, descriptors, working directory and
    default signal handling already set: turns this interpreter into what `python3 SCRIPT`
    would be at the moment it runs the script, and returns the new `__main__`."""
    launcher_modules.update(sys.modules)
    script = argv[1]
    for number in IGNORED_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # clear() and update() go through unsetenv and putenv: the C environment changes too.
    os.environ.clear()
    os.environ.update(environment_as_started(env))
    # The time module read TZ when the launcher imported it.
    time.tzset()

    unbuffered = environment_flag(env, "PYTHONUNBUFFERED") > 0
    dont_write_bytecode = environment_flag(env, "PYTHONDONTWRITEBYTECODE") > 0
    # The launcher's own options (-I -S) are no task's: subprocess and multiprocessing pass
    # sys.flags on to the interpreters they start, and site reads them.
    flags = {name: getattr(sys.flags, name) for name in Flags._fields}
    flags.update(dont_write_bytecode=int(dont_write_bytecode), no_user_site=0, no_site=0, ignore_environment=0, isolated=0, safe_path=False)
    sys.flags = Flags(**flags)
    sys.dont_write_bytecode = dont_write_bytecode
    sys.argv = [script]
    sys.orig_argv = list(argv)
    sys.executable = sys._base_executable = os.path.abspath(path)
    replace_standard_streams(buffered=not unbuffered)

    # sys.path as python3 builds it: PYTHONPATH (each entry made absolute against the working
    # directory), the standard library, then what site adds; the script's folder goes first, last.
    pythonpath = env.get("PYTHONPATH", "")
    sys.path[:] = [os.path.abspath(entry) for entry in pythonpath.split(os.pathsep)] if pythonpath else []
    sys.path += STDLIB_PATH
    site.ENABLE_USER_SITE = None
    site.main()
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))

    main = types.ModuleType("__main__")
    main.__annotations__ = {}
    main.__builtins__ = builtins
    main.__file__ = script
    main.__cached__ = None
    main.__loader__ = SourceFileLoader("__main__", script)
    sys.modules["__main__"] = main
    return main


def replace_standard_streams(buffered):
    """New sys.stdin, sys.stdout, sys.stderr on descriptors 0-2, made as the interpreter makes them."""
    for fd, name, write, old in ((0, "<stdin>", False, sys.__stdin__), (1, "<stdout>", True, sys.__stdout__), (2, "<stderr>", True, sys.__stderr__)):
        buffering = 0 if write and not buffered else -1
        binary = io.open(fd, "wb" if write else "rb", buffering, closefd=False)
        raw = binary.raw if buffering else binary
        raw.name = name
        line_buffering = buffered and (raw.isatty() or fd == 2)
        stream = io.TextIOWrapper(binary, old.encoding, old.errors, "\n", line_buffering, not buffered)
        stream.mode = "w" if write else "r"
        setattr(sys, name[1:-1], stream)
        setattr(sys, f"__{name[1:-1]}__", stream)


def run_as_main(script, main):
    """Runs the script in `main`, then ends the process the way the interpreter ends one that
    ran a script: SystemExit (the script's or ours) and KeyboardInterrupt leave through the
    launcher's frames, which catch neither, to the interpreter's own exit handling (exit
    status, atexit, threads, flushing), which is the same code python3 would run."""
    try:
        with open(script, "rb") as source:
            code = compile(source.read(), script, "exec", dont_inherit=True)
        exec(code, main.__dict__)
    except SystemExit:
        flush_standard_streams()
        forget_file(main)
        raise
    except BaseException as error:
        flush_standard_streams()
        leave_with(error, main)
    flush_standard_streams()
    forget_file(main)
    raise SystemExit(0)


def end_as_python3(leaving):
    """Ends the process for an uncaught SystemExit as python3 ends it (Py_Exit), in its order:
    the threads waited for, the atexit functions, the standard streams flushed, garbage
    collected, the task's modules torn down (their globals set to None, so that what they
    held is finalized: an unclosed file is flushed, a __del__ runs), the streams flushed
    again, then the exit status. Returns (and the caller lets the interpreter end the
    process itself) where python3's own end has more to it: an exit status that is not a
    small integer (python3 prints it), a thread that could not be waited for, a stream
    that could not be flushed."""
    code = leaving.code
    if code is None:
        status = 0
    elif isinstance(code, int) and -(2**31) <= code < 2**31:
        status = code & 0xFF
    else:
        return
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
        atexit._run_exitfuncs()
        flush_strictly()
        # As the interpreter's finalization: the standard streams back to the originals
        # (dropping a replacement the task set), garbage collected, the task's modules cleared.
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        gc.collect()
        clear_task_modules()
        flush_strictly()
    except BaseException:
        return
    os._exit(status)


def flush_strictly():
    """Flushes stdout then stderr; a failure is for the interpreter's own end to report."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def clear_task_modules():
    """Sets the globals of the task's `__main__`, then of the modules it imported, to None,
    with a collection after `__main__`'s and after the last, in the order the interpreter's
    end releases them in the usual case: a module's globals are in a reference cycle with its functions, so they go
    when the collector frees that cycle, oldest first (`__main__`, made before the task
    imported anything, then the modules in the order they were imported), each
    dictionary in the order of its keys."""
    modules = [(name, module) for name, module in sys.modules.items() if module is not None and launcher_modules.get(name) is not module]
    modules.sort(key=lambda entry: entry[0] != "__main__")
    for index, (_, module) in enumerate(modules):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            for key in list(namespace):
                if key != "__builtins__":
                    namespace[key] = None
        if index == 0 or index == len(modules) - 1:
            gc.collect()


def flush_standard_streams():
    # What the interpreter does after the main script, before it reports an exception.
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.flush()
        except Exception:
            pass


def forget_file(main):
    # Done by the interpreter once the main script has run.
    main.__dict__.pop("__file__", None)
    main.__dict__.pop("__cached__", None)


def leave_with(error, main):
    """An uncaught exception: the traceback of the script's frames (not this module's)
    through sys.excepthook, then exit code 1, or for a plain KeyboardInterrupt, death by
    SIGINT once the interpreter has cleaned up, as python3 does."""
    traceback = error.__traceback__.tb_next if error.__traceback__ is not None else None
    error.__traceback__ = traceback
    hook = sys.excepthook

    def report(kind, value, _traceback_through_the_launcher):
        sys.excepthook = hook
        # The default hook prints the exception's own __traceback__, to which raising it
        # again added the launcher's frames.
        value.__traceback__ = traceback
        sys.last_type, sys.last_value, sys.last_traceback = kind, value, traceback
        hook(kind, value, traceback)
        forget_file(main)

    if type(error) is KeyboardInterrupt:
        # The interpreter dies by SIGINT only for a KeyboardInterrupt that leaves its main
        # module, the launcher's here; it reports it through sys.excepthook first.
        sys.excepthook = report
        raise error
    report(type(error), error, None)
    raise SystemExit(1)
